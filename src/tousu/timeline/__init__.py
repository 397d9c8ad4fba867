"""Working-day calendar and deadline arithmetic for mainland China. Plain Python, no Django."""

from tousu.timeline.calendar import SHANGHAI, BusinessHours, WorkCalendar, parse_local
from tousu.timeline.rules import DeadlinePolicy, Duration, StageLimits, Unit, due_at

__all__ = ["SHANGHAI", "BusinessHours", "DeadlinePolicy", "Duration", "StageLimits", "Unit", "WorkCalendar",
           "due_at", "parse_local"]
