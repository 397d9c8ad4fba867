"""What follows when risk fields change after intake: the running time limits take the new level, and a
complaint that just became an emergency gets its plan proposed. Re-assessment (a layer below) returns
what changed; these functions apply it, so assessments never call into the workflow."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from tousu.accounts.models import User
from tousu.assessments import actions as assessments
from tousu.assessments.actions import LevelChange, Reassessment
from tousu.assessments.models import PolicyVersion, RiskOverride
from tousu.complaints.models import Complaint
from tousu.risk import Policy
from tousu.workflow.actions.deadlines import recompute_for_levels
from tousu.workflow.actions.emergency import propose_missing_emergencies


def apply(changes: Sequence[LevelChange], *, now: datetime) -> None:
    moved = [change.complaint for change in changes if change.limits_changed]
    if moved:
        recompute_for_levels(moved, now=now)
    alarmed = [change.complaint for change in changes if change.became_emergency]
    if alarmed:
        propose_missing_emergencies(alarmed, now=now)


def reassess(targets: Sequence[tuple[Complaint, str]], *, now: datetime, by: User | None = None,
             policy: tuple[PolicyVersion, Policy] | None = None) -> Reassessment:
    """Re-assess complaints (each with its trigger), store what changed, and apply the consequences."""
    with transaction.atomic():
        done = assessments.reassess_many(targets, now=now, by=by, policy=policy)
        apply(done.changes, now=now)
    return done


def override_risk(complaint: Complaint, *, level: str, reason: str, by: User, now: datetime) -> RiskOverride:
    """A person sets the level (R-RA-7); the running clocks follow it."""
    with transaction.atomic():
        override, change = assessments.override_risk(complaint, level=level, reason=reason, by=by, now=now)
        apply([change], now=now)
    return override
