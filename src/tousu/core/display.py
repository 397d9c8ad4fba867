"""Words for stored codes, in the reader's language (STYLE.md 14: store codes and structured data, render
words). Every level, grade, priority, type, channel, state, role, factor, reason and history entry a page
shows goes through here, so a value stored today reads in Chinese or English whoever opens it later."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tousu.accounts.roles import Role
from tousu.complaints.choices import Channel, CustomerLevel, Demand, EventKind, Source, Status
from tousu.complaints.uploads import refusal_reason

LEVELS = {"high": gettext_lazy("High"), "medium": gettext_lazy("Medium"), "low": gettext_lazy("Low")}
PRIORITIES = {"urgent": gettext_lazy("urgent priority"), "important": gettext_lazy("important priority"),
              "normal": gettext_lazy("normal priority")}
GRADES = {1: gettext_lazy("grade 1 (major)"), 2: gettext_lazy("grade 2 (important)"), 3: gettext_lazy("grade 3 (general)")}
DEFECT_GRADES = {"general": gettext_lazy("general defect"), "batch": gettext_lazy("batch defect"),
                 "serious": gettext_lazy("serious defect")}
# The default taxonomy (R-RA-1); a company's own type codes fall back to their label in the policy.
TYPES = {"product_quality": gettext_lazy("product quality"), "safety": gettext_lazy("safety"),
         "service": gettext_lazy("service attitude and process"), "delivery": gettext_lazy("delivery and logistics"),
         "billing": gettext_lazy("billing and price"), "contract": gettext_lazy("contract and returns"),
         "network": gettext_lazy("network or system failure"), "other": gettext_lazy("other")}
FACTORS = {"impact_scope": gettext_lazy("impact scope"), "spread": gettext_lazy("media and spread"),
           "compliance": gettext_lazy("compliance and legal"), "safety": gettext_lazy("personal safety"),
           "money": gettext_lazy("financial loss"), "customer_value": gettext_lazy("customer value"),
           "emotion": gettext_lazy("emotion"), "repetition": gettext_lazy("repetition"),
           "illegal": gettext_lazy("illegal conduct"), "mass": gettext_lazy("many people affected"),
           "model": gettext_lazy("learned model"), "baseline": gettext_lazy("no risk factor")}
ROLES = {Role.AGENT: gettext_lazy("service agent"), Role.SPECIALIST: gettext_lazy("complaint specialist"),
         Role.MANAGER: gettext_lazy("department manager"), Role.QUALITY: gettext_lazy("quality department"),
         Role.LEADER: gettext_lazy("senior manager"), Role.ANALYST: gettext_lazy("analyst"),
         Role.ADMIN: gettext_lazy("administrator")}
TRIGGERS = {"intake": gettext_lazy("at intake"), "facts_changed": gettext_lazy("facts corrected"),
            "lot_changed": gettext_lazy("the lot's defect rate changed"), "repeat": gettext_lazy("the customer complained again"),
            "same_problem": gettext_lazy("the same problem again this month"), "similar": gettext_lazy("similar complaints"),
            "incident": gettext_lazy("a mass incident"), "incident_closed": gettext_lazy("a mass incident closed"),
            "reassess": gettext_lazy("re-assessed")}
DECISIONS = {"approved": gettext_lazy("approved"), "rejected": gettext_lazy("rejected"), "pending": gettext_lazy("pending")}
PLAN_STATES = {"proposed": gettext_lazy("proposed"), "active": gettext_lazy("activated"),
               "declined": gettext_lazy("declined"), "closed": gettext_lazy("closed")}
STAGES = {"acknowledge": gettext_lazy("acknowledgement"), "first_response": gettext_lazy("first response"),
          "investigation": gettext_lazy("investigation"), "solution": gettext_lazy("solution"),
          "approval": gettext_lazy("approval"), "customer_feedback": gettext_lazy("feedback to the customer"),
          "follow_up": gettext_lazy("follow-up")}
TEAM_ROLES = {"leader": gettext_lazy("Leader"), "on_site": gettext_lazy("On-site handling"),
              "logistics": gettext_lazy("Logistics support"), "records": gettext_lazy("Records and analysis")}
INCIDENT_KEYS = {"product": gettext_lazy("same product"), "lot": gettext_lazy("same lot"),
                 "region": gettext_lazy("same region"), "cluster": gettext_lazy("similar texts"),
                 "complaint_type": gettext_lazy("same type")}
_CHOICES = {"status": dict(Status.choices), "channel": dict(Channel.choices), "source": dict(Source.choices),
            "customer_level": dict(CustomerLevel.choices), "demand": dict(Demand.choices)}
FIELD_NAMES = {
    "risk_level": gettext_lazy("risk level"), "assessed_level": gettext_lazy("assessed level"),
    "severity_grade": gettext_lazy("severity grade"), "priority": gettext_lazy("priority"),
    "emergency": gettext_lazy("emergency"), "complaint_type": gettext_lazy("complaint type"),
    "defect_grade": gettext_lazy("defect grade"), "problem_key": gettext_lazy("defect item"),
    "possible_high_risk": gettext_lazy("possible high risk (model)"), "status": gettext_lazy("status"),
    "channel": gettext_lazy("channel"), "owner": gettext_lazy("owner"), "department": gettext_lazy("department"),
    "phone": gettext_lazy("phone"), "email": gettext_lazy("email"), "customer_name": gettext_lazy("customer name"),
    "product": gettext_lazy("product / model"), "lot": gettext_lazy("production lot"),
    "order_no": gettext_lazy("order number"), "region": gettext_lazy("region"),
    "amount": gettext_lazy("amount involved"), "quantity_delivered": gettext_lazy("quantity delivered"),
    "quantity_defective": gettext_lazy("quantity defective"), "customer_level": gettext_lazy("customer level"),
    "demand": gettext_lazy("core demand"), "company": gettext_lazy("company"), "source": gettext_lazy("recorded through"),
    "stage": gettext_lazy("stage"), "compensation": gettext_lazy("compensation"), "score": gettext_lazy("score"),
    "category": gettext_lazy("cause category"), "state": gettext_lazy("state"), "role": gettext_lazy("role"),
    "decision": gettext_lazy("decision"), "name": gettext_lazy("file"), "size": gettext_lazy("size"),
    "due_at": gettext_lazy("due"), "before": gettext_lazy("before"), "after": gettext_lazy("after"),
}
# Event data that is bookkeeping, not something a reader needs.
_HIDDEN_KEYS = {"message_key", "sha256", "plan", "solution", "policy", "trigger", "before", "after", "changes",
                "origin", "row", "link", "linked", "reopened", "since", "paused_seconds", "direction", "step",
                "action", "chain", "factors", "incident", "first", "repeat", "merged", "new_facts", "side",
                "version", "previous", "rule_source"}


def level_label(code: str) -> str:
    return str(LEVELS.get(code, code or "—"))


def priority_label(code: str) -> str:
    return str(PRIORITIES.get(code, code or "—"))


def grade_label(grade: int | str | None) -> str:
    try:
        return str(GRADES[int(grade)])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return "—"


def type_label(code: str, policy_labels: Mapping[str, str] | None = None) -> str:
    if code in TYPES:
        return str(TYPES[code])
    return (policy_labels or {}).get(code, code or "—")


def factor_label(code: str) -> str:
    return str(FACTORS.get(code, code))


def role_label(code: str) -> str:
    return str(ROLES.get(code, code))  # type: ignore[call-overload]


def stage_label(code: str) -> str:
    return str(STAGES.get(code, code))


def money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"¥{amount:,.0f}" if amount == amount.to_integral() else f"¥{amount:,.2f}"


def _quoted(matches: list[dict]) -> str:
    """“摔伤”（第 12 字）、“住院”（第 15 字）: each word once, with the places it stands (1-based)."""
    places: dict[str, list[int]] = {}
    for match in matches:
        if match.get("position", -1) is not None and match.get("position", -1) >= 0:
            places.setdefault(match["word"], []).append(match["position"] + 1)
        else:
            places.setdefault(match["word"], [])
    parts = []
    for word, at in places.items():
        if at:
            where = ngettext("character %(at)s", "characters %(at)s", len(at)) % {"at": ", ".join(map(str, at[:3]))}
            parts.append(_("“%(word)s” (%(where)s)") % {"word": word, "where": where})
        else:
            parts.append(_("“%(word)s”") % {"word": word})
    return _("、").join(parts)


def reason_text(reason: Mapping[str, Any]) -> str:
    """One stored reason (`Evidence.as_dict()`) as a plain sentence with its evidence."""
    rule, factor = reason.get("rule", ""), reason.get("factor", "")
    value, limit, code = reason.get("value"), reason.get("limit"), reason.get("code", "")
    matches = reason.get("matches") or []
    label = factor_label(factor)
    if rule == "money.high_amount":
        return _("%(factor)s: amount %(amount)s ≥ %(limit)s") % {
            "factor": label, "amount": money(value), "limit": money(limit) if limit is not None else "¥10,000"}
    if rule == "money.amount":
        return _("%(factor)s: amount %(amount)s") % {"factor": label, "amount": money(value)}
    if rule == "illegal.rate_above_cap" and value is not None:
        return _("%(factor)s: a yearly rate of %(rate)s%% above the legal cap of %(limit)s%% — %(words)s") % {
            "factor": label, "rate": f"{float(value):g}", "limit": f"{float(limit or 24):g}", "words": _quoted(matches)}
    if rule.endswith(".channel"):
        return _("%(factor)s: received through %(channel)s") % {
            "factor": label, "channel": _CHOICES["channel"].get(code, code)}
    if rule == "customer_value.level":
        return _("%(factor)s: customer level %(level)s") % {
            "factor": label, "level": _CHOICES["customer_level"].get(code, code)}
    if rule.startswith("repetition.") and rule != "repetition.chasing" and value is not None:
        return ngettext("%(factor)s: %(count)d earlier complaint of this customer within %(days)s days",
                        "%(factor)s: %(count)d earlier complaints of this customer within %(days)s days",
                        int(value)) % {"factor": label, "count": int(value), "days": limit or 30}
    if rule == "impact_scope.incident":
        return _("%(factor)s: linked to a mass incident") % {"factor": label}
    if rule in ("impact_scope.high_at", "impact_scope.medium_at") and value is not None:
        return ngettext("%(factor)s: %(count)d similar complaint within %(days)s days",
                        "%(factor)s: %(count)d similar complaints within %(days)s days",
                        int(value)) % {"factor": label, "count": int(value), "days": limit or 7}
    if rule == "defect.batch_rate" and value is not None:
        return _("%(factor)s: %(rate)s of the lot defective (≥ %(limit)s)") % {
            "factor": label, "rate": f"{float(value):.1%}", "limit": f"{float(limit or 0.3):.0%}"}
    if rule == "defect.serious_repeats" and value is not None:
        return _("%(factor)s: the same defect %(count)d times this month (≥ %(limit)s)") % {
            "factor": label, "count": int(value), "limit": limit or 3}
    if rule.startswith("defect."):
        item = reason.get("detail", "").split(":")[0]
        return _("%(factor)s: %(item)s, %(grade)s — %(words)s") % {
            "factor": label, "item": item, "grade": DEFECT_GRADES.get(code, code), "words": _quoted(matches)}
    if rule == "model.high_risk":
        features = "、".join(m["word"] for m in matches) or "—"
        return _("%(factor)s: high-risk probability %(p)s ≥ %(limit)s (strongest signs: %(features)s)") % {
            "factor": label, "p": f"{float(value or 0):.2f}", "limit": limit or "0.8", "features": features}
    if rule == "baseline.enquiry":
        return _("an enquiry or a suggestion with no risk factor")
    if rule == "baseline.settled":
        return _("the customer says it is settled or was a misunderstanding")
    if rule == "baseline.vague":
        return _("a short text naming no concrete problem")
    if matches:
        return _("%(factor)s: mentions %(words)s") % {"factor": label, "words": _quoted(matches)}
    return f"{label}: {reason.get('detail', '')}"


def reasons_summary(level: str, reasons: list[Mapping[str, Any]]) -> str:
    """"高风险：提到 “12315”（第 34 字）；金额 ¥12,000 ≥ ¥10,000" — the level and its reasons in one line."""
    sentences = [reason_text(r) for r in reasons]
    return _("%(level)s risk: %(reasons)s") % {"level": level_label(level), "reasons": _("; ").join(sentences)}


def emergency_log_text(entry) -> str:
    """A line of an emergency plan's timeline (`EmergencyLog`) in the reader's language: what the system
    recorded from its event code and facts, a person's own words as they wrote them."""
    data = entry.data or {}
    event = entry.event
    if event == "proposed":
        return (_("Proposed by the mass-incident warning") if data.get("by") == "incident"
                else _("Proposed by the risk assessment: the complaint reads as an emergency"))
    if event == "activated":
        return _("Plan activated")
    if event == "declined":
        return _("Plan declined: %(reason)s") % {"reason": entry.text} if entry.text else _("Plan declined")
    if event == "closed":
        return _("Plan closed with its review")
    if event == "joined":
        names = [_("%(name)s (%(role)s)") % {"name": name, "role": TEAM_ROLES[role]} if role in TEAM_ROLES else name
                 for name, role in data.get("members", [])]
        return _("Joined the team: %(names)s") % {"names": _("、").join(names)}
    if event == "linked":
        return _("Complaint %(number)s linked") % {"number": data.get("tracking_number", "")}
    return entry.text


# ---- history ------------------------------------------------------------------------------------

@dataclass
class EventView:
    at: datetime
    kind: str
    title: str
    actor: str
    note: str
    lines: list[str]


def value_text(field: str, value: Any, people: Mapping[int, str] | None = None,
               departments: Mapping[int, str] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in ("risk_level", "assessed_level", "level"):
        return level_label(value)
    if field == "priority":
        return priority_label(value)
    if field == "severity_grade":
        return grade_label(value)
    if field == "complaint_type":
        return type_label(value)
    if field == "defect_grade":
        return str(DEFECT_GRADES.get(value, value))
    if field in _CHOICES:
        return str(_CHOICES[field].get(value, value))
    if field == "role":
        return role_label(value)
    if field == "stage":
        return stage_label(value)
    if field == "decision":
        return str(DECISIONS.get(value, value))
    if field == "state":
        return str(PLAN_STATES.get(value, value))
    if field in ("owner", "by", "to_user") and people is not None and isinstance(value, int):
        return people.get(value, f"#{value}")
    if field == "department" and departments is not None and isinstance(value, int):
        return departments.get(value, f"#{value}")
    if field in ("amount", "compensation"):
        return money(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return date_format(localtime(parsed), "Y-m-d H:i")
    if isinstance(value, list):
        return "、".join(value_text(field, v, people, departments) for v in value)
    return str(value)


def _field(name: str) -> str:
    return str(FIELD_NAMES.get(name, name))


def _change(field: str, before: Any, after: Any, people, departments) -> str:
    return _("%(field)s: %(before)s → %(after)s") % {
        "field": _field(field), "before": value_text(field, before, people, departments),
        "after": value_text(field, after, people, departments)}


def event_view(event, people: Mapping[int, str], departments: Mapping[int, str]) -> EventView:
    """A history row as a title and readable lines ("风险等级：中 → 高"), from the event's stored data."""
    data: dict = event.data or {}
    kind = event.kind
    title = str(dict(EventKind.choices).get(kind, kind))
    lines: list[str] = []
    if kind in (EventKind.RECORDED, EventKind.IMPORTED):
        lines.append(_("through %(source)s, channel %(channel)s") % {
            "source": value_text("source", data.get("source")), "channel": value_text("channel", data.get("channel"))})
        if data.get("owner"):
            lines.append(_("first owner: %(owner)s") % {"owner": value_text("owner", data["owner"], people)})
    elif kind == EventKind.ASSESSED:
        trigger = data.get("trigger", "")
        title = _("Risk assessed (%(why)s)") % {"why": TRIGGERS.get(trigger, trigger)}
        before, after = data.get("before") or {}, data.get("after") or {}
        for field in ("risk_level", "severity_grade", "priority", "emergency", "complaint_type", "defect_grade"):
            if field in after and before.get(field) != after.get(field):
                lines.append(_change(field, before.get(field), after.get(field), people, departments))
        if data.get("factors"):
            lines.append(_("factors: %(factors)s") % {"factors": "、".join(factor_label(f) for f in data["factors"])})
    elif kind == EventKind.STATUS_CHANGED:
        lines.append(_change("status", data.get("before"), data.get("after"), people, departments))
    elif kind == EventKind.FIELDS_CHANGED:
        for field, pair in (data.get("changes") or {}).items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                lines.append(_change(field, pair[0], pair[1], people, departments))
        for field, pair in data.items():
            if field != "changes" and isinstance(pair, list | tuple) and len(pair) == 2:
                lines.append(_change(field, pair[0], pair[1], people, departments))
    elif kind == EventKind.TRANSFERRED:
        before, after = data.get("before") or {}, data.get("after") or {}
        for field in ("owner", "department"):
            if field in after or field in before:
                lines.append(_change(field, before.get(field), after.get(field), people, departments))
    elif kind == EventKind.NOTE and data.get("refused_attachment"):
        lines.append(_("attachment not kept: %(reason)s") % {"reason": refusal_reason(data["refused_attachment"])})
    elif kind == EventKind.NOTE and data.get("reopened"):
        lines.append(_("reopened %(number)s, closed earlier about the same matter") % {"number": data["reopened"]})
    elif kind == EventKind.NOTE and "merged" in data and data.get("first"):
        if data["merged"]:
            lines.append(_("repeat %(repeat)s of %(first)s inside its handling period: merged, no clock of its own")
                         % {"repeat": data.get("repeat", ""), "first": data["first"]})
        else:
            lines.append(_("repeat %(repeat)s of %(first)s inside its handling period brought new facts "
                           "(%(facts)s): its own clocks run") % {
                "repeat": data.get("repeat", ""), "first": data["first"],
                "facts": "、".join(_field(f) for f in data.get("new_facts") or [])})
    elif kind == EventKind.INCIDENT:
        actions = {"opened": _("opened with this complaint"), "linked": _("joined by this complaint"),
                   "closed": _("closed")}
        lines.append(_("incident %(incident)s: %(action)s") % {
            "incident": data.get("incident", ""), "action": actions.get(data.get("action", ""), data.get("action", ""))})
    elif kind == EventKind.POLICY_ACTIVATED:
        lines.append(_("policy %(policy)s %(version)s in force (before: %(previous)s)") % {
            "policy": data.get("policy", ""), "version": data.get("version", ""), "previous": data.get("previous") or "—"})
    elif kind == EventKind.SOLUTION_PROPOSED and data.get("chain"):
        lines.append(_("approval chain: %(chain)s") % {"chain": " → ".join(role_label(r) for r in data["chain"])})
    elif kind == EventKind.APPROVAL and data.get("step"):
        lines.append(_("step %(step)s (%(role)s)") % {"step": data["step"], "role": role_label(data.get("role", ""))})
    elif kind == EventKind.DEADLINE_EXTENDED:
        lines.append(_change("due_at", data.get("before"), data.get("after"), people, departments))
    elif kind == EventKind.RESUMED and data.get("paused_seconds") is not None:
        hours = int(data["paused_seconds"]) / 3600
        lines.append(_("the clocks stood still for %(hours)s hours") % {"hours": f"{hours:.1f}"})
    for key, value in data.items():
        if key in _HIDDEN_KEYS or (kind in (EventKind.RECORDED, EventKind.IMPORTED)
                                   and key in ("owner", "department", "source", "channel", "risk_level")):
            continue
        if kind == EventKind.FIELDS_CHANGED or isinstance(value, dict | list) and key not in ("chain",):
            continue
        lines.append(_("%(field)s: %(value)s") % {"field": _field(key), "value": value_text(key, value, people, departments)})
    return EventView(at=event.at, kind=kind, title=title, actor=str(event.actor) if event.actor else "",
                     note=event.note, lines=lines)


def history(events, people: Mapping[int, str] | None = None,
            departments: Mapping[int, str] | None = None) -> list[EventView]:
    """The history of a complaint, each event rendered; people and departments named in one query each."""
    from tousu.accounts.models import Department, User

    events = list(events)
    if people is None:
        ids = {v for e in events for v in _ids(e.data, ("owner", "to_user", "by"))}
        people = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    if departments is None:
        ids = {v for e in events for v in _ids(e.data, ("department",))}
        departments = {d.pk: str(d) for d in Department.objects.filter(pk__in=ids)} if ids else {}
    return [event_view(e, people, departments) for e in events]


def _ids(data: Any, keys: tuple[str, ...]) -> set[int]:
    found: set[int] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in keys and isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
            elif isinstance(value, dict):
                found |= _ids(value, keys)
    return found
