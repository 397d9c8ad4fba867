"""Review: the emergency message to the leaders is worded (gettext) while the complaint is recorded, in
the active language of the thread that records it. One by one that was the recording API call's own
language (Accept-Language); in a group it is the language of whichever request thread holds the turn, so
an English client's emergency may reach the leaders in Chinese, and the other way round, by chance."""

import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from tousu.accounts.roles import Role
from tousu.complaints.choices import Source
from tousu.complaints.validation import validate_intake
from tousu.intake import grouped
from tousu.notify.models import Notification
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_emergency_is_announced_in_the_language_of_the_call_that_recorded_it():
    make_user(Role.LEADER, username="leader")
    agent = make_user(username="taker")
    now = timezone.now()
    answered = []

    def english_client():
        translation.activate("en")  # what ChineseFirstLocaleMiddleware does for Accept-Language: en on /api/
        try:
            answered.append(grouped.record(validate_intake({"text": "孩子骑车踏板断裂摔伤骨折住院"}, now=now), by=agent,
                                           source=Source.API, now=now))
        finally:
            connection.close()

    with grouped._turn:
        thread = threading.Thread(target=english_client)
        thread.start()
        while len(grouped._waiting) < 1:
            threading.Event().wait(0.01)
        # A Chinese-speaking client's request thread takes the turn and records the English client's complaint.
        with translation.override("zh-hans"):
            answer = grouped._take_turn()
    assert answer is not None
    answer()  # after the turn: the complaint read back and handed to its request thread
    thread.join(30)
    assert answered and answered[0].emergency
    subjects = list(Notification.objects.filter(kind="emergency").values_list("subject", flat=True))
    assert subjects and all(s.startswith("Emergency proposed") for s in subjects), subjects
