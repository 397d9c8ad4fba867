"""The customer's answer to the satisfaction survey (R-WF-8): stored once; an unsatisfied answer reopens
the complaint and tells its manager."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.complaints import events
from tousu.complaints.validation import FieldError, IntakeError
from tousu.notify.outbox import enqueue
from tousu.workflow.actions.people import manager_of
from tousu.workflow.actions.survey import UNSATISFIED_AT_MOST
from tousu.workflow.actions.transitions import reopen
from tousu.workflow.models import Survey


def answer_survey(token: str, *, score, comment: str, now: datetime) -> Survey:
    errors = []
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score is None or not 1 <= score <= 5:
        errors.append(FieldError("score", _("choose a score from 1 to 5")))
    if len(comment or "") > 2000:
        errors.append(FieldError("comment", _("at most 2,000 characters")))
    survey = Survey.objects.select_related("complaint__department__manager", "complaint__owner").filter(token=token).first()
    if survey is None:
        errors.append(FieldError("token", _("this survey link is not valid")))
    elif survey.answered_at is not None:
        errors.append(FieldError("token", _("this survey was already answered, thank you")))
    if errors:
        raise IntakeError(errors)
    complaint = survey.complaint
    with transaction.atomic():
        if not Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
                answered_at=now, score=score, comment=(comment or "").strip()):
            raise IntakeError([FieldError("token", _("this survey was already answered, thank you"))])
        survey.answered_at, survey.score, survey.comment = now, score, (comment or "").strip()
        events.survey_answered(complaint.pk, at=now, score=score, comment=survey.comment)
        if score <= UNSATISFIED_AT_MOST:
            if complaint.status in ("carried_out", "customer_feedback", "closed"):
                reopen(complaint, by=None, now=now, system=True,
                       reason=_("the customer is not satisfied (score %(score)s)") % {"score": score})
            enqueue(key=f"unsatisfied:{survey.pk}", kind="survey_unsatisfied", complaint=complaint, now=now,
                    recipients=manager_of(complaint),
                    subject=_("Unsatisfied customer: %(number)s reopened") % {"number": complaint.tracking_number},
                    body=_("Score %(score)s. Comment: %(comment)s") % {"score": score, "comment": survey.comment or "—"})
    return survey
