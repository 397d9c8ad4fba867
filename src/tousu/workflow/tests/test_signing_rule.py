"""The plain rule of separation of duties: who may sign one level of an approval chain."""

from tousu.workflow.chain import Refusal, signing_refusal


def _refusal(signer=7, role="quality", step="quality", proposer=1, earlier=()):
    return signing_refusal(signer=signer, signer_role=role, step_role=step, proposer=proposer,
                           earlier_signers=set(earlier))


def test_a_holder_of_the_steps_role_who_has_not_signed_yet_may_sign():
    assert _refusal() is None


def test_the_proposer_never_signs_even_holding_the_role():
    assert _refusal(signer=1, proposer=1) is Refusal.PROPOSER


def test_a_higher_role_does_not_sign_a_lower_level():
    assert _refusal(role="leader", step="manager") is Refusal.ROLE
    assert _refusal(role="quality", step="manager") is Refusal.ROLE


def test_a_lower_role_does_not_sign_a_higher_level():
    assert _refusal(role="manager", step="leader") is Refusal.ROLE


def test_an_administrator_does_not_sign():
    assert _refusal(role="admin", step="specialist") is Refusal.ROLE


def test_one_person_does_not_sign_two_levels_of_one_chain():
    assert _refusal(signer=7, earlier=[5, 7]) is Refusal.SIGNED_BEFORE
    assert _refusal(signer=8, earlier=[5, 7]) is None
