"""Similar past cases for a complaint (R-RP-3): the reference cases and the other closed complaints the
user may see, ranked by character n-gram TF-IDF similarity, each with how it was solved. Reads only."""

from django.db.models import Prefetch

from tousu.accounts.models import User
from tousu.complaints.access import visible_complaints
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.risk.similar import CaseIndex
from tousu.workflow.models import Solution, Survey

# The newest closed complaints searched (besides every reference case): an index is built per request.
LIBRARY_LIMIT = 5000


def library(user: User) -> list[tuple[int, str]]:
    visible = visible_complaints(user)
    references = list(visible.filter(reference_case__isnull=False).values_list("id", "text"))
    closed = list(visible.filter(status__in=ENDED, reference_case__isnull=True).order_by("-closed_at", "-id")
                  .values_list("id", "text")[:LIBRARY_LIMIT])
    return references + closed


def similar_cases(complaint: Complaint, *, user: User, k: int = 5) -> list[dict]:
    """The `k` most similar past cases: tracking number, type, similarity, reference or not, and the
    solution and outcome (a reference case's as marked; otherwise its approved measures and survey)."""
    matches = CaseIndex(library(user)).nearest(complaint.text, k, exclude=frozenset({complaint.pk}))
    if not matches:
        return []
    cases = Complaint.objects.filter(pk__in=[m.id for m in matches]).select_related("reference_case").prefetch_related(
        Prefetch("solutions", queryset=Solution.objects.filter(status=Solution.Decision.APPROVED)),
        Prefetch("surveys", queryset=Survey.objects.filter(answered_at__isnull=False)))
    by_id = {c.pk: c for c in cases}
    found = []
    for match in matches:
        case = by_id[match.id]
        reference = getattr(case, "reference_case", None)
        solutions = list(case.solutions.all())
        surveys = list(case.surveys.all())
        found.append({
            "tracking_number": case.tracking_number, "text": case.text[:300], "complaint_type": case.complaint_type,
            "similarity": match.score, "reference": reference is not None, "status": case.status,
            "closed_at": case.closed_at,
            "solution": reference.solution if reference else "; ".join(s.measures for s in solutions),
            "outcome": reference.outcome if reference else "",
            "compensation": str(sum(s.compensation for s in solutions)) if solutions else None,
            "satisfaction": surveys[0].score if surveys else None,
        })
    return found
