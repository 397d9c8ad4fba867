"""Review: a complaint the database refuses only at COMMIT fails every complaint of the turn. Django
creates foreign keys DEFERRABLE INITIALLY DEFERRED (SQLite and PostgreSQL), so a complaint whose recorder
no longer exists is refused by the commit, not by its own insert: neither the group's savepoint nor the
one-by-one fallback sees it, and the whole turn (up to 64 complaints, any recorder) rolls back with it.
Recorded one by one, only that complaint would have failed.

A recorder that no longer exists: the user was deleted by another worker process within the token
memo's second (accounts.models._known_tokens still holds it here) - the test deletes the row and keeps
the object, as that process's memo does."""

import pytest
from django.utils import timezone

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake.tests.test_grouped import _arrive_together
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_complaint_refused_at_commit_does_not_take_the_others_with_it(monkeypatch):
    staying, leaving = make_user(username="staying"), make_user(username="leaving")
    User.objects.filter(pk=leaving.pk).delete()  # in another process; this one still holds the object
    now = timezone.now()
    arrivals = [(validate_intake({"text": f"第{i}件：宽带断网三天"}, now=now), by, now)
                for i, by in enumerate([staying, staying, leaving])]
    outcomes, _sizes = _arrive_together(arrivals, monkeypatch)
    assert isinstance(outcomes[0], Complaint), outcomes[0]
    assert isinstance(outcomes[1], Complaint), outcomes[1]
    assert Complaint.objects.count() == 2
