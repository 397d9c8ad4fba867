"""The review of a period (R-RP-1): every figure from the grouped queries in `figures`, in the reader's
language, each with a link to the complaints behind it. `build_review` returns plain JSON-ready data,
the one source of the page, the API, the command, the workbook, the printable report and the mail.
The keys are stable and documented in docs/reports.md; `version` changes when one does."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.utils.translation import gettext as _

from tousu.accounts.models import Department
from tousu.assessments.policies import active_policy
from tousu.reports import figures
from tousu.reports.cohort import CURRENT, LAST_YEAR, PERIOD_KEYS, PREVIOUS, Cohort
from tousu.reports.labels import label_of, limit_label
from tousu.reports.links import Links, complaint
from tousu.reports.worktime import DAY, MomentGroup, WorkingTime
from tousu.timeline import SHANGHAI
from tousu.timeline.rules import Stage
from tousu.workflow.actions.survey import UNSATISFIED_AT_MOST

VERSION = 1
LIST_LIMIT = 100  # escalations, plans and improvement actions listed in full; the rest are counted
OPEN_ENDED_TOP = 20  # region, product, lot values listed; the rest are summed
TRAITS_TOP = 10
LEVEL_ORDER = ("high", "medium", "low", "")
# The three times R-RP-1 names, as the stages whose clocks measure them.
MEASURES = {"acknowledgement": Stage.ACKNOWLEDGE.value, "response": Stage.FIRST_RESPONSE.value,
            "resolution": Stage.SOLUTION.value}
# Dimension name in the review and in links → Complaint field.
DIMENSIONS = {"type": "complaint_type", "level": "risk_level", "grade": "severity_grade",
              "defect_grade": "defect_grade", "channel": "channel", "department": "department_id",
              "region": "region", "product": "product", "lot": "lot"}
_UNIT_SECONDS = {"hours": 3600, "days": DAY, "months": DAY}
_SUMMED = ("clocks", "met", "on_time", "overdue", "paused", "met_seconds", "due_seconds", "started_seconds",
           "paused_seconds")


def ratio(part: float | None, whole: float | None, digits: int = 4) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, digits)


def change(now: float | None, before: float | None) -> float | None:
    """Relative change from `before` to `now`; None where there was nothing before."""
    if now is None or before is None or before == 0:
        return None
    return round((now - before) / before, 4)


class _Review:
    def __init__(self, cohort: Cohort, now: datetime):
        self.cohort, self.now = cohort, now
        self.today = now.astimezone(SHANGHAI).date()
        self.version, self.policy = active_policy()
        self.calendar = self.policy.deadlines.calendar.build()
        self.links = Links(cohort)
        self.departments = {d["id"]: d for d in Department.objects.values("id", "code", "name")}
        self.department_names = {d["code"]: d["name"] for d in self.departments.values()}
        self.periods = cohort.all_periods()
        self.by_level_of: dict[str, dict] = {}  # region, product, lot → value → level → count
        self.total = 0

    # ---- helpers -------------------------------------------------------------------------------------
    def label(self, dimension: str, code) -> str:
        return label_of(dimension, code, policy=self.policy, departments=self.department_names)

    def _link_value(self, dimension: str, code):
        """The value a link passes for a dimension's code (departments by their code, not their id)."""
        if dimension == "department":
            return self.departments[code]["code"] if code in self.departments else ""
        return "" if code is None else code

    def item(self, dimension: str, code, count: int, total: int, index: int = CURRENT, **extra) -> dict:
        link_name = "dept" if dimension == "department" else dimension
        value = self._link_value(dimension, code)
        return {"code": value, "label": self.label(dimension, value), "count": count, "share": ratio(count, total),
                "link": self.links.complaints(index, **{link_name: value}, **extra)}

    # ---- sections ------------------------------------------------------------------------------------
    def build(self) -> dict:
        cohort = self.cohort
        by_period = {CURRENT: figures.complaint_groups(cohort, CURRENT)}
        for index in (PREVIOUS, LAST_YEAR):
            by_period[index] = figures.complaint_groups(cohort, index, figures.COMPARED)
        current = by_period[CURRENT]
        total = self.total = sum(row["n"] for row in current)
        time_limits = self.time_limits()
        on_time = {CURRENT: time_limits["on_time_rate"]}
        for index in (PREVIOUS, LAST_YEAR):
            totals = figures.clock_totals(cohort, index, self.now)
            on_time[index] = ratio(totals["on_time"], totals["met"] + totals["overdue"])
        surveys = {index: figures.survey_groups(cohort, index) for index in self.periods}
        reopened = {index: figures.reopened_count(cohort, index) for index in self.periods}
        counts = self.counts(current, total)
        start, end = cohort.periods[CURRENT].first, cohort.periods[CURRENT].last
        return {
            "version": VERSION,
            "period": {"from": start.isoformat(), "to": end.isoformat(), "days": cohort.period.days,
                       "department": cohort.department or None,
                       "department_name": self.department_names.get(cohort.department) if cohort.department else None},
            "generated_at": self.now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "policy": f"{self.version.name} {self.version.version}",
            "complaints": {"count": total, "link": self.links.complaints()},
            "counts": counts,
            "time_limits": time_limits,
            "reopen": self.reopen(reopened[CURRENT], total),
            "repeat": self.repeat(total),
            "satisfaction": self.satisfaction(surveys[CURRENT]),
            "root_causes": self.root_causes(),
            "trend": self.trend(by_period, on_time, surveys, reopened),
            "high_risk": self.high_risk(current, total),
            "escalations": self.escalations(),
            "emergencies": self.emergencies(),
            "improvements": self.improvements(),
        }

    def counts(self, rows: list[dict], total: int) -> dict:
        result = {}
        for dimension, field in DIMENSIONS.items():
            if dimension in ("region", "product", "lot"):
                continue
            tally: dict = defaultdict(int)
            for row in rows:
                tally[row[field]] += row["n"]
            if dimension == "defect_grade" and set(tally) <= {""}:
                continue  # not a manufacturing policy: no defect grades to count
            result[dimension] = self.listed(dimension, tally, total)
        for dimension in ("region", "product", "lot"):
            tally = defaultdict(int)
            by_level: dict = defaultdict(lambda: defaultdict(int))
            for value, level, n in figures.open_ended_groups(self.cohort, DIMENSIONS[dimension]):
                tally[value] += n
                by_level[value][level] += n
            self.by_level_of[dimension] = by_level
            result[dimension] = self.listed(dimension, tally, total, top=OPEN_ENDED_TOP)
        return result

    def listed(self, dimension: str, tally: dict, total: int, top: int | None = None) -> dict:
        if dimension == "level":
            order = sorted(tally, key=lambda code: LEVEL_ORDER.index(code) if code in LEVEL_ORDER else 9)
        elif dimension == "grade":
            order = sorted(tally, key=lambda code: (code is None, code or 0))
        else:
            order = sorted(tally, key=lambda code: (-tally[code], str(code)))
        shown = order if top is None else order[:top]
        rest = order[len(shown):]
        return {"items": [self.item(dimension, code, tally[code], total) for code in shown],
                "other_values": len(rest), "other_count": sum(tally[code] for code in rest)}

    # ---- time limits ---------------------------------------------------------------------------------
    def time_limits(self) -> dict:
        working = WorkingTime(self.calendar)
        # (stage, limit) → the clock counts, the calendar sums and the working seconds left when met
        folded: dict[tuple, dict] = {}
        for row in figures.clock_groups(self.cohort, working, self.now):
            key = (row["stage"], _key(row["duration"]))
            entry = folded.setdefault(key, {"stage": row["stage"], "duration": row["duration"], "remaining": 0.0,
                                            **dict.fromkeys(_SUMMED, 0)})
            for name in _SUMMED:
                entry[name] += row[name] or 0
            if row["met_day"] is not None and next(iter(row["duration"])) in figures.WORKING_UNITS:
                n = row["met"]
                offset = self.cohort.offset  # the groups' days are local; the sums are of UTC seconds
                met = MomentGroup(row["met_day"], row["met_stretch"], n,
                                  int(row["met_seconds"]) + n * (offset - row["met_day"] * DAY))
                due = MomentGroup(row["due_day"], row["due_stretch"], n,
                                  int(row["due_seconds"]) + n * (offset - row["due_day"] * DAY))
                entry["remaining"] += working.seconds_between([(met, due)])
        by_stage: dict[str, list[dict]] = defaultdict(list)
        for entry in folded.values():
            by_stage[entry["stage"]].append(entry)
        known = [stage.value for stage in Stage]
        stages = [s for s in known if s in by_stage] + sorted(s for s in by_stage if s not in known)
        entries = [self.stage_entry(stage, by_stage[stage], working) for stage in stages]
        decided = sum(e["met"] + e["overdue"] for e in entries)
        return {"stages": entries, "measures": MEASURES,
                "on_time_rate": ratio(sum(e["on_time"] for e in entries), decided),
                "as_of": self.now.astimezone(SHANGHAI).isoformat(timespec="seconds")}

    def stage_entry(self, stage: str, rows: list[dict], working: WorkingTime) -> dict:
        limits = []
        for row in sorted(rows, key=lambda r: (-r["clocks"], _key(r["duration"]))):
            unit, amount = next(iter(row["duration"].items()))
            met = row["met"]
            if unit in figures.WORKING_UNITS:
                per_unit = working.day_seconds if unit == "working_days" else 3600
                used = (amount * met - row["remaining"] / per_unit) if met else None
                allowed = amount * met
            else:
                per_unit = _UNIT_SECONDS.get(unit, 3600)
                base = int(row["started_seconds"]) + float(row["paused_seconds"])
                used = (int(row["met_seconds"]) - base) / per_unit if met else None
                allowed = (int(row["due_seconds"]) - base) / per_unit if met else None
            shown_unit = "days" if unit == "months" else unit
            limits.append({
                "limit": row["duration"], "label": limit_label(row["duration"]), "unit": shown_unit,
                "unit_label": self.label("unit", shown_unit), **_clock_counts(row),
                "mean_used": round(used / met, 2) if met else None,
                "mean_used_share": ratio(used, allowed) if met else None,
                "link": self.links.complaints(stage=stage, limit=f"{unit}:{_amount(amount)}"),
            })
        totals = {name: sum(limit[name] for limit in limits) for name in
                  ("clocks", "met", "on_time", "late", "overdue", "paused", "running")}
        weights = [(limit["mean_used_share"], limit["met"]) for limit in limits if limit["mean_used_share"] is not None]
        return {
            "stage": stage, "label": self.label("stage", stage), **totals,
            "on_time_rate": ratio(totals["on_time"], totals["met"] + totals["overdue"]),
            "mean_used_share": ratio(sum(s * n for s, n in weights), sum(n for _s, n in weights)),
            "limits": limits,
            "links": {state: self.links.complaints(stage=stage, clock=state)
                      for state in ("on_time", "late", "overdue", "paused", "running")},
        }

    # ---- reopen, repeat, satisfaction, causes --------------------------------------------------------
    def reopen(self, reopened: int, total: int) -> dict:
        return {"complaints": total, "reopened": reopened, "rate": ratio(reopened, total),
                "link": self.links.complaints(reopened=1)}

    def repeat(self, total: int) -> dict:
        window = self.policy.repetition.window_days
        counts = figures.repeat_counts(self.cohort, window)
        return {"complaints": total, "repeats": counts["any"], "rate": ratio(counts["any"], total),
                "same_customer": counts["customer"], "same_matter": counts["matter"], "window_days": window,
                "links": {kind: self.links.complaints(repeat=kind) for kind in ("any", "customer", "matter")}}

    def satisfaction(self, rows: list[dict], index: int = CURRENT) -> dict:
        scores = {row["score"]: row["n"] for row in rows}
        sent = sum(scores.values())
        answered = sum(n for score, n in scores.items() if score is not None)
        unsatisfied = sum(n for score, n in scores.items() if score is not None and score <= UNSATISFIED_AT_MOST)
        total_score = sum(score * n for score, n in scores.items() if score is not None)
        return {
            "surveys": sent, "answered": answered, "response_rate": ratio(answered, sent),
            "mean": round(total_score / answered, 2) if answered else None,
            "distribution": [{"score": score, "count": scores.get(score, 0), "share": ratio(scores.get(score, 0), answered),
                              "link": self.links.complaints(index, score=score)} for score in range(1, 6)],
            "unsatisfied": unsatisfied, "unsatisfied_share": ratio(unsatisfied, answered),
            "unsatisfied_at_most": UNSATISFIED_AT_MOST,
            "links": {"surveys": self.links.complaints(index, survey="sent"),
                      "answered": self.links.complaints(index, survey="answered"),
                      "unsatisfied": self.links.complaints(index, survey="unsatisfied")},
        }

    def root_causes(self) -> dict:
        rows = sorted(figures.root_cause_groups(self.cohort), key=lambda r: (-r[1], r[0]))
        recorded = sum(n for _c, n in rows)
        pareto, running = [], 0
        for category, n in rows:
            running += n
            pareto.append({"code": category, "label": category, "count": n, "share": ratio(n, recorded),
                           "cumulative_share": ratio(running, recorded), "link": self.links.complaints(cause=category)})
        return {"recorded": recorded, "without_cause": self.total - recorded, "pareto": pareto,
                "links": {"recorded": self.links.complaints(has_cause=1),
                          "without_cause": self.links.complaints(has_cause=0)}}

    # ---- trend ---------------------------------------------------------------------------------------
    def trend(self, by_period: dict, on_time: dict, surveys: dict, reopened: dict) -> dict:
        figures_out = []

        def add(key: str, label: str, values: dict[int, float | None], link_filters: dict | None):
            entry = {"key": key, "label": label, **{PERIOD_KEYS[i]: values.get(i) for i in self.periods},
                     "change_previous": change(values.get(CURRENT), values.get(PREVIOUS)),
                     "change_last_year": change(values.get(CURRENT), values.get(LAST_YEAR))}
            if link_filters is not None:
                entry["links"] = {PERIOD_KEYS[i]: self.links.complaints(i, **link_filters) for i in self.periods}
            figures_out.append(entry)

        # (field, value) → period → complaints, in one pass over the groups
        sums: dict[tuple, dict[int, int]] = defaultdict(lambda: dict.fromkeys(self.periods, 0))
        for i in self.periods:
            for r in by_period[i]:
                sums[("", "")][i] += r["n"]
                for field in ("complaint_type", "channel", "risk_level", "emergency"):
                    sums[(field, r[field])][i] += r["n"]
        totals = sums[("", "")]
        add("complaints", _("Complaints"), totals, {})
        add("high_risk", _("High risk"), sums[("risk_level", "high")], {"level": "high"})
        add("emergency", _("Emergencies"), sums[("emergency", True)], {"emergency": 1})
        add("on_time_rate", _("On-time rate"), on_time, None)
        add("reopen_rate", _("Reopen rate"), {i: ratio(reopened[i], totals[i]) for i in self.periods}, {"reopened": 1})
        satisfaction = {i: self.satisfaction(surveys[i], i) for i in self.periods}
        add("satisfaction_mean", _("Mean satisfaction"), {i: satisfaction[i]["mean"] for i in self.periods}, None)
        add("unsatisfied_share", _("Share unsatisfied"),
            {i: satisfaction[i]["unsatisfied_share"] for i in self.periods}, None)
        for dimension, field in (("type", "complaint_type"), ("channel", "channel"), ("level", "risk_level")):
            codes = sorted({code for (f, code) in list(sums) if f == field},
                           key=lambda c, f=field: (-sums[(f, c)][CURRENT], c))
            for code in codes:
                add(f"{dimension}:{code}", self.label(dimension, code), sums[(field, code)], {dimension: code})
        return {"periods": {PERIOD_KEYS[i]: {"from": self.cohort.periods[i].first.isoformat(),
                                             "to": self.cohort.periods[i].last.isoformat()} for i in self.periods},
                "figures": figures_out}

    # ---- high risk -----------------------------------------------------------------------------------
    def high_risk(self, rows: list[dict], total: int) -> dict:
        high = sum(r["n"] for r in rows if r["risk_level"] == "high")
        traits = {}
        for trait in ("factor", "rule"):
            per_code: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for code, level, n in figures.trait_groups(self.cohort, trait):
                per_code[code][level] += n
            traits[trait] = self.traits(trait, per_code, high, total)
        for dimension, field in (("type", "complaint_type"), ("channel", "channel")):
            per_code = defaultdict(lambda: defaultdict(int))
            for r in rows:
                per_code[r[field]][r["risk_level"]] += r["n"]
            traits[dimension] = self.traits(dimension, per_code, high, total)
        for dimension in ("product", "region", "lot"):
            traits[dimension] = self.traits(dimension, self.by_level_of[dimension], high, total)
        return {"complaints": high, "share": ratio(high, total), "link": self.links.complaints(level="high"),
                "traits": traits}

    def traits(self, dimension: str, per_code: dict, high: int, total: int) -> list[dict]:
        entries = []
        for code, levels in per_code.items():
            in_high, in_all = levels.get("high", 0), sum(levels.values())
            if not in_high or code in ("", None):
                continue
            high_share, all_share = ratio(in_high, high), ratio(in_all, total)
            entries.append({"code": code, "label": self.label(dimension, code), "high": in_high,
                            "high_share": high_share, "all": in_all, "all_share": all_share,
                            "lift": round(high_share / all_share, 2) if high_share and all_share else None,
                            "links": {"high": self.links.complaints(level="high", **{dimension: code}),
                                      "all": self.links.complaints(**{dimension: code})}})
        entries.sort(key=lambda e: (-e["high"], -(e["lift"] or 0), str(e["code"])))
        return entries[:TRAITS_TOP]

    # ---- escalations, emergencies, improvements ------------------------------------------------------
    def escalations(self) -> dict:
        rows = figures.escalation_groups(self.cohort)
        by_step: dict[str, dict] = defaultdict(lambda: {"count": 0, "clock_met": 0})
        by_stage: dict[str, dict] = defaultdict(lambda: {"count": 0, "clock_met": 0})
        for row in rows:
            for key, bucket in ((row["step"], by_step), (row["deadline__stage"], by_stage)):
                bucket[key]["count"] += row["n"]
                bucket[key]["clock_met"] += row["met"]

        def listed(dimension: str, buckets: dict, link_name: str) -> list[dict]:
            return [{"code": code, "label": self.label(dimension, code), "count": b["count"],
                     "clock_met": b["clock_met"], "clock_open": b["count"] - b["clock_met"],
                     "link": self.links.complaints(**{link_name: code})}
                    for code, b in sorted(buckets.items(), key=lambda kv: -kv[1]["count"])]

        items = figures.escalation_items(self.cohort, LIST_LIMIT + 1)
        count = sum(row["n"] for row in rows)
        return {
            "count": count, "link": self.links.complaints(escalation="any"),
            "by_step": listed("step", by_step, "escalation"), "by_stage": listed("stage", by_stage, "escalated_stage"),
            "items": [{"tracking_number": e.complaint.tracking_number, "link": complaint(e.complaint.tracking_number),
                       "stage": e.deadline.stage, "stage_label": self.label("stage", e.deadline.stage),
                       "step": e.step, "step_label": self.label("step", e.step), "level": e.level,
                       "at": _local(e.at), "due_at": _local(e.deadline.due_at), "clock_met_at": _local(e.deadline.met_at),
                       "outcome": "met" if e.deadline.met_at else "open",
                       "status": e.complaint.status, "status_label": self.label("status", e.complaint.status)}
                      for e in items[:LIST_LIMIT]],
            "more": len(items) > LIST_LIMIT,
        }

    def emergencies(self) -> dict:
        rows = figures.emergency_groups(self.cohort)
        plans = figures.emergency_items(self.cohort, LIST_LIMIT + 1)
        return {
            "count": sum(r["n"] for r in rows), "link": self.links.complaints(plan="any"),
            "activated_in_golden_period": sum(r["in_golden_period"] for r in rows),
            "by_state": [{"code": r["state"], "label": self.label("plan_state", r["state"]), "count": r["n"],
                          "link": self.links.complaints(plan=r["state"])}
                         for r in sorted(rows, key=lambda r: -r["n"])],
            "items": [{"id": p.pk, "title": p.title, "state": p.state, "state_label": self.label("plan_state", p.state),
                       "proposed_at": _local(p.proposed_at), "golden_due_at": _local(p.golden_due_at),
                       "activated_at": _local(p.activated_at),
                       "activated_in_golden_period": bool(p.activated_at and p.activated_at <= p.golden_due_at),
                       "closed_at": _local(p.closed_at), "closing_review": p.closing_review,
                       "complaints": [c.tracking_number for c in p.cohort_complaints],
                       "link": _plan_link(p.pk)} for p in plans[:LIST_LIMIT]],
            "more": len(plans) > LIST_LIMIT,
        }

    def improvements(self) -> dict:
        rows = dict(figures.improvement_groups(self.cohort, self.today))
        order = ["pending", "approved", "overdue", "carried_out", "rejected"]
        states = [s for s in order if s in rows] + sorted(s for s in rows if s not in order)
        items = figures.improvement_items(self.cohort, self.today, LIST_LIMIT + 1)
        return {
            "count": sum(rows.values()), "link": self.links.complaints(improvement="any"),
            "by_state": [{"code": s, "label": self.label("improvement", s), "count": rows[s],
                          "link": self.links.complaints(improvement=s)} for s in states],
            "items": [{"tracking_number": s.complaint.tracking_number, "link": complaint(s.complaint.tracking_number),
                       "measures": s.measures, "owner": str(s.owner), "due_date": s.due_date.isoformat(),
                       "compensation": str(s.compensation), "state": s.state,
                       "state_label": self.label("improvement", s.state)} for s in items[:LIST_LIMIT]],
            "more": len(items) > LIST_LIMIT,
        }


def _clock_counts(row: dict) -> dict:
    met, overdue = row["met"], row["overdue"]
    return {"clocks": row["clocks"], "met": met, "on_time": row["on_time"], "late": met - row["on_time"],
            "overdue": overdue, "paused": row["paused"], "running": row["clocks"] - met - overdue - row["paused"],
            "on_time_rate": ratio(row["on_time"], met + overdue)}


def _key(duration: dict) -> tuple:
    return tuple(sorted((unit, float(amount)) for unit, amount in duration.items()))


def _amount(amount) -> str:
    return str(int(amount)) if float(amount).is_integer() else str(amount)


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="minutes") if moment else None


def _plan_link(plan_id: int) -> str:
    from django.urls import reverse

    return reverse("workflow:emergency_detail", args=[plan_id])


def build_review(cohort: Cohort, *, now: datetime) -> dict:
    return _Review(cohort, now).build()


def walk_links(review: dict) -> Iterable[str]:
    """Every link of a review (for tests and the workbook's link check)."""
    stack = [review]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("link",) and isinstance(value, str):
                    yield value
                elif key == "links" and isinstance(value, dict):
                    yield from (v for v in value.values() if isinstance(v, str))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
