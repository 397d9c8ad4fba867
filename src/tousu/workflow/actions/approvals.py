"""R-WF-5: a solution (measures, owner, due date, expected effect, compensation) goes up an approval
chain set by the policy from the risk level and the amount; each step is decided by its role or a higher
one, never by the person who proposed it; a rejection returns the complaint to investigation."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability, Role
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.notify.outbox import enqueue
from tousu.workflow import chain
from tousu.workflow.actions.transitions import perform
from tousu.workflow.machine import Action
from tousu.workflow.models import ApprovalStep, Solution

MAX_COMPENSATION = Decimal("100000000")


@dataclass(frozen=True)
class SolutionInput:
    measures: str
    owner: User | None
    due_date: date | None
    expected_effect: str = ""
    compensation: object = 0


def _amount(value) -> Decimal | None:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return amount if 0 <= amount <= MAX_COMPENSATION else None


def propose_solution(complaint: Complaint, data: SolutionInput, *, by: User, now: datetime) -> Solution:
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not propose solutions")
    errors = []
    if not data.measures.strip():
        errors.append(FieldError("measures", _("describe the measures")))
    if data.owner is None or not data.owner.is_active:
        errors.append(FieldError("owner", _("name who carries the solution out")))
    if data.due_date is None:
        errors.append(FieldError("due_date", _("give a due date")))
    elif data.due_date < now.date():
        errors.append(FieldError("due_date", _("the due date is in the past")))
    amount = _amount(data.compensation)
    if amount is None:
        errors.append(FieldError("compensation", _("an amount from 0 to 100,000,000 yuan")))
    if complaint.status != "investigating":
        errors.append(FieldError("status", _("a solution is proposed while the complaint is being investigated")))
    if errors:
        raise IntakeError(errors)
    _version, policy = active_policy()
    chain = policy.workflow.chain_for(amount, complaint.risk_level or "low")
    with transaction.atomic():
        solution = Solution.objects.create(complaint=complaint, measures=data.measures.strip(), owner=data.owner,
                                           due_date=data.due_date, expected_effect=data.expected_effect.strip(),
                                           compensation=amount, proposed_by=by, proposed_at=now)
        ApprovalStep.objects.bulk_create([ApprovalStep(solution=solution, order=i, role=role)
                                          for i, role in enumerate(chain, start=1)])
        perform(complaint, Action.PROPOSE_SOLUTION, by=by, now=now, system=True)
        events.solution_proposed(complaint.pk, by=by, at=now, measures=solution.measures, solution=solution.pk,
                                 compensation=str(amount), chain=chain)
        _ask(solution, chain[0], now)
    return solution


def current_step(solution: Solution) -> ApprovalStep | None:
    return solution.steps.filter(decision=Solution.Decision.PENDING).order_by("order").first()


def signing_refusal(user: User, solution: Solution, step: ApprovalStep) -> str | None:
    """Why `user` may not decide `step` now, in words, or None when they may (separation of duties)."""
    if not user.can(Capability.APPROVE):
        return _("this role may not approve solutions")
    earlier = {s.decided_by_id for s in solution.steps.all() if s.pk != step.pk and s.decided_by_id is not None}
    refusal = chain.signing_refusal(signer=user.pk, signer_role=user.role, step_role=step.role,
                                    proposer=solution.proposed_by_id, earlier_signers=earlier)
    if refusal is chain.Refusal.PROPOSER:
        return _("nobody approves a solution they proposed")
    if refusal is chain.Refusal.ROLE:
        return _("this step is signed by someone holding the role: %(role)s") % {"role": User.RoleChoices(step.role).label}
    if refusal is chain.Refusal.SIGNED_BEFORE:
        return _("you signed another level of this approval chain; a different person signs this one")
    # A department manager decides for their own department only.
    if (user.role == Role.MANAGER and solution.complaint.department_id
            and user.department_id != solution.complaint.department_id):
        return _("a department manager approves for their own department only")
    return None


def may_decide_step(user: User, solution: Solution, step: ApprovalStep) -> bool:
    return signing_refusal(user, solution, step) is None


def decide(solution: Solution, *, by: User, approve: bool, reason: str, now: datetime) -> ApprovalStep:
    step = current_step(solution)
    if step is None or solution.status != Solution.Decision.PENDING:
        raise IntakeError([FieldError("solution", _("this solution is not waiting for a decision"))])
    refusal = signing_refusal(by, solution, step)
    if refusal is not None:
        raise AccessDenied(refusal)
    if not approve and not reason.strip():
        raise IntakeError([FieldError("reason", _("a rejection needs a reason"))])
    complaint = solution.complaint
    with transaction.atomic():
        decision = Solution.Decision.APPROVED if approve else Solution.Decision.REJECTED
        if not ApprovalStep.objects.filter(pk=step.pk, decision=Solution.Decision.PENDING).update(
                decision=decision, decided_by=by, decided_at=now, reason=reason.strip()):
            raise IntakeError([FieldError("solution", _("someone decided this step meanwhile; reload"))])
        step.decision, step.decided_by, step.decided_at, step.reason = decision, by, now, reason.strip()
        events.approval(complaint.pk, by=by, at=now, reason=reason.strip(), solution=solution.pk, step=step.order,
                        role=step.role, decision=decision)
        following = current_step(solution)
        if not approve:
            Solution.objects.filter(pk=solution.pk).update(status=Solution.Decision.REJECTED)
            solution.status = Solution.Decision.REJECTED
            perform(complaint, Action.REJECT, by=by, now=now, reason=reason, system=True)
            enqueue(key=f"rejected:{solution.pk}", kind="solution_rejected", complaint=complaint, now=now,
                    recipients=[solution.proposed_by], webhooks=False,
                    subject=_("Solution for %(number)s rejected") % {"number": complaint.tracking_number},
                    body=reason.strip())
        elif following is None:
            Solution.objects.filter(pk=solution.pk).update(status=Solution.Decision.APPROVED)
            solution.status = Solution.Decision.APPROVED
            perform(complaint, Action.APPROVE, by=by, now=now, system=True)
            enqueue(key=f"approved:{solution.pk}", kind="solution_approved", complaint=complaint, now=now,
                    recipients=[solution.owner, solution.proposed_by], webhooks=False,
                    subject=_("Solution for %(number)s approved") % {"number": complaint.tracking_number},
                    body=solution.measures)
        else:
            _ask(solution, following.role, now)
    return step


def _ask(solution: Solution, role: str, now: datetime) -> None:
    complaint = solution.complaint
    approvers = User.objects.filter(role=role, is_active=True)
    if role == Role.MANAGER and complaint.department_id:
        approvers = approvers.filter(department_id=complaint.department_id)
    enqueue(key=f"approve:{solution.pk}:{role}", kind="approval_request", complaint=complaint, now=now,
            recipients=[u for u in approvers if u.pk != solution.proposed_by_id], webhooks=False,
            subject=_("Please approve the solution for %(number)s") % {"number": complaint.tracking_number},
            body=_("Compensation: ¥%(amount)s. Measures: %(measures)s")
            % {"amount": solution.compensation, "measures": solution.measures})
