"""What the handling card shows of a complaint's stage clocks, in the reader's language: each stage once
with its current clock (a reopened complaint's earlier clocks of the same stage folded into their own
history), the limit and the calendar it is counted on, the time left, and the rule it comes from."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tousu.timeline import WorkCalendar
from tousu.timeline.rules import DeadlinePolicy, Duration, Stage
from tousu.workflow.models import Deadline

_ORDER = {stage.value: place for place, stage in enumerate(Stage)}
_WORKING_UNITS = ("working_days", "working_hours")


@dataclass
class ClockCard:
    current: list[Deadline] = field(default_factory=list)  # one per stage, in the stages' own order
    earlier: list[Deadline] = field(default_factory=list)  # superseded by a later clock of the same stage
    calendars: list[str] = field(default_factory=list)  # the calendars the current clocks count on


def limit_text(duration: dict) -> str:
    """{"working_days": 5} → "5 个工作日" / "5 working days"."""
    try:
        limit = Duration(**duration)
    except (TypeError, ValueError):
        return ""
    amount = limit.amount
    n = int(amount) if float(amount).is_integer() else amount
    count = int(amount) if float(amount).is_integer() else 2
    texts = {
        "hours": ngettext("%(n)s hour", "%(n)s hours", count),
        "working_hours": ngettext("%(n)s working hour", "%(n)s working hours", count),
        "working_days": ngettext("%(n)s working day", "%(n)s working days", count),
        "days": ngettext("%(n)s calendar day", "%(n)s calendar days", count),
        "months": ngettext("%(n)s month", "%(n)s months", count),
    }
    return texts[limit.unit.value] % {"n": n}


def calendar_text(duration: dict, due: datetime, limits: DeadlinePolicy) -> str:
    """The calendar a limit is counted on: working days of the mainland-China calendar (its public holidays
    and make-up working days, 调休), with the company's own changes; or plain time."""
    unit = next(iter(duration), "")
    if unit not in _WORKING_UNITS:
        return _("calendar time: weekends and holidays count")
    text = _("working days of the mainland-China calendar (public holidays and make-up working days)")
    changes = len(limits.calendar.extra_holidays) + len(limits.calendar.extra_working_days)
    if changes:
        text += _(", with %(count)s company days") % {"count": changes}
    if unit == "working_hours" and limits.calendar.business_hours:
        text += _(", business hours only")
    if WorkCalendar.is_provisional(due.year):
        text += _("; %(year)s is provisional: its official holiday schedule is not published yet") % {
            "year": due.year}
    return text


def time_left_text(clock: Deadline, now: datetime) -> str:
    """"还剩 1 天 4 小时" / "超时 3 小时" for a running clock; empty for one that is met or stopped."""
    if clock.met_at is not None or clock.paused_at is not None:
        return ""
    seconds = int((clock.due_at - now).total_seconds())
    span = _span(abs(seconds))
    return _("%(span)s left") % {"span": span} if seconds >= 0 else _("%(span)s overdue") % {"span": span}


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return (ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
                + (" " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else ""))
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(1, rest // 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def clock_card(clocks: list[Deadline], *, now: datetime, limits: DeadlinePolicy) -> ClockCard:
    """Split a complaint's clocks (each already annotated by `deadlines.annotate_clocks`) into the current
    one of each stage and the earlier ones, and describe each in words."""
    latest: dict[str, Deadline] = {}
    for clock in sorted(clocks, key=lambda c: (c.started_at, c.pk or 0)):
        previous = latest.get(clock.stage)
        # An open clock is the stage's current one even if an older record sorts after it.
        if previous is None or previous.met_at is not None or clock.met_at is None:
            latest[clock.stage] = clock
    card = ClockCard()
    current_ids = {id(c) for c in latest.values()}
    for clock in clocks:
        clock.limit_text = limit_text(clock.duration)
        clock.calendar_text = calendar_text(clock.duration, clock.due_at, limits)
        clock.time_left = time_left_text(clock, now)
        (card.current if id(clock) in current_ids else card.earlier).append(clock)
    card.current.sort(key=lambda c: (_ORDER.get(c.stage, len(_ORDER)), c.started_at))
    card.earlier.sort(key=lambda c: (c.started_at, c.pk or 0))
    seen = []
    for clock in card.current:
        if clock.calendar_text not in seen:
            seen.append(clock.calendar_text)
    card.calendars = seen
    return card
