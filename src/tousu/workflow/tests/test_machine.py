"""The transition table, without a database."""

import pytest

from tousu.accounts.roles import Role
from tousu.timeline.rules import Stage
from tousu.workflow.machine import (
    TRANSITIONS,
    Action,
    State,
    TransitionError,
    allowed,
    available_actions,
    check,
)


def test_every_state_but_received_is_reached_by_some_action():
    reached = {t.target for t in TRANSITIONS.values()}
    assert reached == set(State) - {State.RECEIVED}


def test_the_happy_path_runs_from_received_to_archived():
    path = [Action.ACKNOWLEDGE, Action.START_INVESTIGATION, Action.PROPOSE_SOLUTION, Action.APPROVE,
            Action.CARRY_OUT, Action.REQUEST_FEEDBACK, Action.CLOSE, Action.ARCHIVE]
    state = State.RECEIVED
    for action in path:
        state = check(action, state).target
    assert state is State.ARCHIVED


@pytest.mark.parametrize(("action", "state"), [
    (Action.CLOSE, State.RECEIVED), (Action.CARRY_OUT, State.INVESTIGATING), (Action.ARCHIVE, State.CARRIED_OUT),
    (Action.REOPEN, State.ARCHIVED), (Action.ACKNOWLEDGE, State.CLOSED),
])
def test_an_action_from_the_wrong_state_is_refused_in_plain_words(action, state):
    with pytest.raises(TransitionError, match=f"cannot {action.value}"):
        check(action, state)


def test_pages_offer_agents_only_what_they_may_do_directly():
    assert available_actions(State.RECEIVED, Role.AGENT) == [Action.ACKNOWLEDGE, Action.START_INVESTIGATION]
    assert Action.APPROVE not in available_actions(State.SOLUTION_PROPOSED, Role.LEADER)  # only via the chain
    assert available_actions(State.CLOSED, Role.ANALYST) == []
    assert Action.ARCHIVE in available_actions(State.CLOSED, Role.MANAGER)
    assert Action.ARCHIVE not in available_actions(State.CLOSED, Role.AGENT)


def test_the_chain_and_the_survey_take_the_indirect_actions():
    assert allowed(Action.APPROVE, State.SOLUTION_PROPOSED, Role.MANAGER, direct_only=False)
    assert not allowed(Action.APPROVE, State.SOLUTION_PROPOSED, Role.MANAGER)


def test_closing_stops_every_clock_and_reopening_starts_investigation_and_solution_again():
    assert TRANSITIONS[Action.CLOSE].meets == frozenset(Stage)
    assert TRANSITIONS[Action.REOPEN].starts == {Stage.INVESTIGATION, Stage.SOLUTION}
    assert TRANSITIONS[Action.REOPEN].needs_reason and TRANSITIONS[Action.REJECT].needs_reason
