"""R-WF-8: after closing, the customer gets a link (a token, no login) to score 1–5 and comment; a score
of 2 or less reopens the complaint and tells the owner's manager."""

import secrets
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from tousu.complaints import events
from tousu.complaints.models import Complaint
from tousu.notify.outbox import enqueue
from tousu.workflow.models import Survey

UNSATISFIED_AT_MOST = 2


def survey_link(survey: Survey) -> str:
    return f"{settings.TOUSU_BASE_URL.rstrip('/')}/survey/{survey.token}/"


def send_survey(complaint: Complaint, *, now: datetime) -> Survey:
    survey = Survey.objects.create(complaint=complaint, token=secrets.token_urlsafe(24), sent_at=now)
    link = survey_link(survey)
    events.survey_sent(complaint.pk, at=now, link=link)
    if complaint.email:
        enqueue(key=f"survey:{survey.pk}", kind="survey", complaint=complaint, now=now, recipients=[],
                addresses=[complaint.email], webhooks=False,
                subject=_("How did we handle your complaint %(number)s?") % {"number": complaint.tracking_number},
                body=_("Please tell us how satisfied you are (1–5) with how your complaint was handled: %(link)s")
                % {"link": link})
    return survey
