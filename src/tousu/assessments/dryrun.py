"""What a new policy would change before it is adopted (R-RA-6): recent complaints assessed with it,
compared with the level they have now. Nothing is stored."""

from collections import Counter
from datetime import datetime

from tousu.assessments.actions import facts_of
from tousu.assessments.history import history_for
from tousu.complaints.models import Complaint
from tousu.risk import Policy, assess

_ORDER = {"low": 0, "medium": 1, "high": 2}


def policy_diff(new: Policy, *, since: datetime, limit: int = 200) -> dict:
    complaints = (Complaint.objects.filter(received_at__gte=since).order_by("-received_at", "-id")
                  .only("id", "tracking_number", "received_at", "assessed_level", "emergency", "defect_grade",
                        *(f for f in ("text", "channel", "amount", "customer_level", "product", "lot", "region",
                                      "quantity_delivered", "quantity_defective", "phone", "email",
                                      "complaint_type"))))
    transitions: Counter[str] = Counter()
    changes = []
    checked = 0
    for complaint in complaints.iterator(chunk_size=500):
        checked += 1
        result = assess(facts_of(complaint), history_for(complaint, new), new)
        after = result.risk_level.value
        before = complaint.assessed_level
        emergency_changed = result.emergency != complaint.emergency
        if after == before and not emergency_changed:
            continue
        transitions[f"{before or '—'}→{after}"] += 1
        if len(changes) < limit:
            changes.append({
                "tracking_number": complaint.tracking_number, "before": before, "after": after,
                "direction": "up" if _ORDER.get(after, 0) > _ORDER.get(before, 0) else
                             "down" if _ORDER.get(after, 0) < _ORDER.get(before, 0) else "same",
                "emergency": [complaint.emergency, result.emergency], "factors": list(result.factors),
                "text": complaint.text[:80]})
    changed = sum(transitions.values())
    return {"policy": {"name": new.name, "version": new.version}, "since": since.isoformat(),
            "checked": checked, "changed": changed,
            "raised": sum(1 for c in changes if c["direction"] == "up"),
            "lowered": sum(1 for c in changes if c["direction"] == "down"),
            "transitions": dict(transitions), "changes": changes}
