"""Review: a failure after the group's commit (an on_commit hook: queueing notification delivery) is
handed to every complaint of the turn, although all of them are stored. Recorded one by one, only the
complaint whose transaction scheduled the hook would have seen it; the others would have had their 201."""

import pytest
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake.tests.test_grouped import _arrive_together
from tousu.notify import outbox
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failing_after_commit_hook_of_one_complaint_does_not_fail_the_others(monkeypatch):
    make_user(Role.LEADER, username="leader")  # the emergency plan's proposal notifies the leaders
    first, second = make_user(username="first-taker"), make_user(username="second-taker")
    now = timezone.now()

    def queue_unavailable():
        raise RuntimeError("huey storage: database is locked")

    monkeypatch.setattr(outbox, "_schedule_delivery", queue_unavailable)
    arrivals = [
        (validate_intake({"text": "孩子骑车踏板断裂摔伤骨折住院", "product": "PD-700"}, now=now), first, now),
        (validate_intake({"text": "想咨询一下保修期多久"}, now=now), second, now),
        (validate_intake({"text": "宽带断网三天了"}, now=now), second, now),
    ]
    outcomes, _sizes = _arrive_together(arrivals, monkeypatch)
    stored = set(Complaint.objects.values_list("text", flat=True))
    assert stored == {data.text for data, _by, _now in arrivals}  # all three committed...
    assert Complaint.objects.get(text__startswith="孩子").emergency
    # ...yet the two plain complaints, whose own transactions scheduled nothing, were answered with an error:
    assert isinstance(outcomes[1], Complaint), outcomes[1]
    assert isinstance(outcomes[2], Complaint), outcomes[2]
