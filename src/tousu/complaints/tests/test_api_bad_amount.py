"""A malformed amount on POST /api/complaints (the fuzzer's `{"amount": {}}`) is a 422 naming the field,
not a server error, and stores nothing."""

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.testing import bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", [{}, [], {"a": 1}, [1, 2], True])
def test_an_amount_that_is_no_number_is_a_422_naming_amount(client, amount):
    agent = make_user(Role.AGENT)
    response = client.post("/api/complaints", {"text": "热水壶底座冒烟", "amount": amount},
                           content_type="application/json", headers=bearer(agent))
    assert response.status_code == 422, response.content
    assert "amount" in [e["field"] for e in response.json()["errors"]]
    assert not Complaint.objects.exists()
