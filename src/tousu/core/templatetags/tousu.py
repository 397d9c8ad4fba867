"""Template filters that turn stored codes into words in the reader's language (see core/display.py)."""

from django import template

from tousu.core import display

register = template.Library()

register.filter("level", display.level_label)
register.filter("priority", display.priority_label)
register.filter("grade", display.grade_label)
register.filter("ctype", display.type_label)
register.filter("factor", display.factor_label)
register.filter("role", display.role_label)
register.filter("stage", display.stage_label)
register.filter("reason", display.reason_text)
register.filter("money", display.money)
register.filter("log_text", display.emergency_log_text)


@register.filter
def defect(code: str) -> str:
    return str(display.DEFECT_GRADES.get(code, code or "—"))


@register.filter
def plan_state(code: str) -> str:
    return str(display.PLAN_STATES.get(code, code))


@register.filter
def decision(code: str) -> str:
    return str(display.DECISIONS.get(code, code))


@register.filter
def incident_key(code: str) -> str:
    return str(display.INCIDENT_KEYS.get(code, code))
