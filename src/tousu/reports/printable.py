"""The review as HTML: the page's sections and the printable A4 report share one template and the same
inline SVG charts drawn from the review's data."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tousu.reports import svg


def _bars(items: list[dict], *, value: str = "count", percent: bool = False) -> list[svg.Bar]:
    return [svg.Bar(item["label"], item[value] or 0, item.get("link", ""),
                    f"{item['share'] * 100:.1f}%" if not percent and item.get("share") is not None else "")
            for item in items]


def charts(review: dict) -> dict[str, str]:
    counts = review["counts"]
    drawn = {
        dimension: svg.hbars(_bars(counts[dimension]["items"][:12]), title=dimension)
        for dimension in ("type", "level", "grade", "channel", "department", "region", "product", "lot")
        if dimension in counts
    }
    stages = review["time_limits"]["stages"]
    drawn["on_time"] = svg.hbars([svg.Bar(s["label"], s["on_time_rate"] or 0, s["links"]["late"]) for s in stages
                                  if s["on_time_rate"] is not None], title=_("On-time rate"), percent=True,
                                 color=svg.PALETTE[2])
    satisfaction = review["satisfaction"]
    drawn["satisfaction"] = svg.columns(
        [svg.Bar(str(d["score"]), d["count"], d["link"]) for d in satisfaction["distribution"]],
        title=_("Satisfaction")) if satisfaction["answered"] else ""
    pareto = review["root_causes"]["pareto"]
    drawn["pareto"] = svg.pareto(_bars(pareto), [p["cumulative_share"] for p in pareto], title=_("Root causes"))
    trend = {f["key"]: f for f in review["trend"]["figures"]}
    series = [_("This period"), _("Previous period"), _("Same period last year")]
    keys = ("current", "previous", "last_year")
    headline = [trend[k] for k in ("complaints", "high_risk", "emergency") if k in trend]
    drawn["trend"] = svg.grouped([(f["label"], [f[k] for k in keys]) for f in headline], series, title=_("Trend"))
    types = [f for f in review["trend"]["figures"] if f["key"].startswith("type:")][:8]
    drawn["trend_types"] = svg.grouped([(f["label"], [f[k] for k in keys]) for f in types], series,
                                       title=_("Trend by type"))
    factors = review["high_risk"]["traits"]["factor"]
    drawn["high_risk"] = svg.grouped([(f["label"], [f["high_share"], f["all_share"]]) for f in factors],
                                     [_("Share of high-risk complaints"), _("Share of all complaints")],
                                     title=_("Risk factors"), percent=True)
    return {name: mark_safe(chart) for name, chart in drawn.items()}  # drawn from escaped parts (svg.py)


def context(review: dict) -> dict:
    trend = review["trend"]["figures"]
    return {"review": review, "charts": charts(review),
            "trend_main": [f for f in trend if ":" not in f["key"]],
            "trend_types": [f for f in trend if f["key"].startswith("type:")],
            "trend_channels": [f for f in trend if f["key"].startswith("channel:")],
            "trait_kinds": [("factor", _("Risk factors")), ("rule", _("Rules")), ("type", _("complaint type")),
                            ("product", _("product / model")), ("channel", _("channel")), ("region", _("region")),
                            ("lot", _("production lot"))],
            "count_kinds": [(k, label) for k, label in (
                ("type", _("complaint type")), ("level", _("risk level")), ("grade", _("severity grade")),
                ("defect_grade", _("defect grade")), ("channel", _("channel")), ("department", _("department")),
                ("region", _("region")), ("product", _("product / model")), ("lot", _("production lot")))
                if k in review["counts"]]}


def render_printable(review: dict) -> str:
    """A standalone HTML document for A4 printing (or saving as PDF): inline CSS and SVG, nothing fetched."""
    return render_to_string("reports/print.html", context(review))
