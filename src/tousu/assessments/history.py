"""What the database knows around a complaint, as the plain `History` the assessment reads."""

from datetime import datetime, timedelta

from django.db.models import Count, Sum

from tousu.complaints.models import Complaint, same_customer, same_lot_or_product
from tousu.risk import History, Policy


def history_for(complaint: Complaint, policy: Policy, *, until: datetime | None = None) -> History:
    """What was known up to `until` (default: when the complaint arrived)."""
    at = until or complaint.received_at
    others = Complaint.objects.exclude(pk=complaint.pk)
    customer = same_customer(complaint)
    customer_earlier = 0
    if customer:
        window = timedelta(days=policy.repetition.window_days)
        customer_earlier = others.filter(customer, received_at__gte=at - window, received_at__lte=at).count()
    similar_in_window = 0
    same_thing = same_lot_or_product(complaint)
    if same_thing:
        scope = timedelta(days=policy.scope.window_days)
        similar_in_window = others.filter(same_thing, received_at__gte=at - scope, received_at__lte=at).count()
    same_problem = 0
    if complaint.product and complaint.complaint_type:
        same_problem = others.filter(product=complaint.product, complaint_type=complaint.complaint_type,
                                     received_at__gte=month_start(at), received_at__lte=at).count()
    lot_delivered = lot_defective = None
    if complaint.lot:
        totals = Complaint.objects.filter(lot=complaint.lot).aggregate(
            delivered=Sum("quantity_delivered"), defective=Sum("quantity_defective"), n=Count("id"))
        lot_delivered, lot_defective = totals["delivered"], totals["defective"]
    from tousu.assessments.actions.incidents import in_open_incident

    return History(customer_earlier=customer_earlier, similar_in_window=similar_in_window,
                   same_problem_this_month=same_problem, lot_delivered=lot_delivered, lot_defective=lot_defective,
                   incident=in_open_incident(complaint))


def month_start(at: datetime) -> datetime:
    from django.utils import timezone

    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
