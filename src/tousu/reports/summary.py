"""The review in a few lines of text: the command's default output and the body of the monthly mail."""

from django.utils.translation import gettext as _


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _change(figure: dict) -> str:
    parts = []
    for key, label in (("change_previous", _("vs previous period")), ("change_last_year", _("vs last year"))):
        value = figure.get(key)
        if value is not None:
            parts.append(f"{label} {'+' if value >= 0 else '−'}{abs(value) * 100:.1f}%")
    return f" ({', '.join(parts)})" if parts else ""


def summary_lines(review: dict) -> list[str]:
    period = review["period"]
    trend = {f["key"]: f for f in review["trend"]["figures"]}
    title = _("Review %(first)s – %(last)s") % {"first": period["from"], "last": period["to"]}
    if period["department_name"]:
        title += f" · {period['department_name']}"
    lines = [title, ""]
    lines.append(_("Complaints: %(n)s") % {"n": review["complaints"]["count"]} + _change(trend["complaints"]))
    lines.append(_("High risk: %(n)s (%(share)s)") % {"n": review["high_risk"]["complaints"],
                                                      "share": _pct(review["high_risk"]["share"])}
                 + _change(trend["high_risk"]))
    lines.append(_("Emergencies: %(n)s") % {"n": review["emergencies"]["count"]})
    lines.append(_("On-time rate: %(rate)s") % {"rate": _pct(review["time_limits"]["on_time_rate"])})
    for stage in review["time_limits"]["stages"]:
        lines.append(f"  {stage['label']}: {_pct(stage['on_time_rate'])} "
                     + _("(%(late)s late, %(overdue)s overdue)") % {"late": stage["late"], "overdue": stage["overdue"]})
    lines.append(_("Reopen rate: %(rate)s, repeat rate: %(repeat)s") % {
        "rate": _pct(review["reopen"]["rate"]), "repeat": _pct(review["repeat"]["rate"])})
    satisfaction = review["satisfaction"]
    mean = "—" if satisfaction["mean"] is None else f"{satisfaction['mean']:.2f}"
    lines.append(_("Satisfaction: mean %(mean)s, unsatisfied %(share)s of %(n)s answers") % {
        "mean": mean, "share": _pct(satisfaction["unsatisfied_share"]), "n": satisfaction["answered"]})
    causes = review["root_causes"]["pareto"][:3]
    if causes:
        lines.append(_("Main root causes: %(list)s") % {
            "list": "、".join(f"{c['label']} {c['count']}" for c in causes)})
    factors = review["high_risk"]["traits"]["factor"][:3]
    if factors:
        lines.append(_("High-risk complaints mostly: %(list)s") % {
            "list": "、".join(f"{f['label']} {_pct(f['high_share'])}" for f in factors)})
    improvements = {s["code"]: s["count"] for s in review["improvements"]["by_state"]}
    lines.append(_("Improvement actions: %(n)s, %(overdue)s past their due date") % {
        "n": review["improvements"]["count"], "overdue": improvements.get("overdue", 0)})
    return lines
