"""When a new or changed complaint changes what its neighbours' assessments read (a lot's defect rate, a
customer's repeat count, similar complaints, the same problem this month), only a count or rate that
crosses one of the policy's thresholds can change their outcome. These checks say whether it did, so
the neighbours are re-assessed only then instead of on every arrival."""

from tousu.risk.policy import Policy


def count_crossed(thresholds: tuple[int, ...], before: int, after: int) -> bool:
    """A member's count went from `before` to `after`: did it reach a threshold it was below?"""
    low, high = min(before, after), max(before, after)
    return any(low < t <= high for t in thresholds)


def rate_crossed(threshold: float, before: tuple[int | None, int | None], after: tuple[int | None, int | None]) -> bool:
    """(delivered, defective) totals of a lot before and after: did the defect rate cross the threshold?"""
    return _at_or_above(threshold, *before) != _at_or_above(threshold, *after)


def _at_or_above(threshold: float, delivered: int | None, defective: int | None) -> bool:
    return bool(delivered) and defective is not None and defective / (delivered or 1) >= threshold


def repeat_crossed(policy: Policy, group_before: int, group_after: int) -> bool:
    """Group sizes include every member; each member counts the others."""
    thresholds = (policy.repetition.medium_after, policy.repetition.high_after)
    return count_crossed(thresholds, group_before - 1, group_after - 1)


def scope_crossed(policy: Policy, group_before: int, group_after: int) -> bool:
    return count_crossed((policy.scope.medium_at, policy.scope.high_at), group_before - 1, group_after - 1)


def same_problem_crossed(policy: Policy, group_before: int, group_after: int) -> bool:
    if policy.manufacturing is None:
        return False
    # A member sees the others plus itself: the group size.
    return count_crossed((policy.manufacturing.serious_repeats_per_month,), group_before, group_after)


def lot_crossed(policy: Policy, before: tuple[int | None, int | None], after: tuple[int | None, int | None]) -> bool:
    return policy.manufacturing is not None and rate_crossed(policy.manufacturing.batch_defect_rate, before, after)
