"""Review: a group's 201 answer mixes two moments. Its risk fields are the complaint as stored at its
own intake, but its events are read after the whole group's steps, so they include the re-assessment that
a later complaint of the same group caused (here: the lot crossing 30 % defective). The answer says
"low" and, in the same body, that it was re-assessed to "high". Recorded one by one, the answer held
only the complaint's own intake events, consistent with its fields."""

import pytest
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.policies import store_policy
from tousu.complaints.schemas import ComplaintDetailOut
from tousu.complaints.validation import validate_intake
from tousu.intake.tests.test_grouped import _arrive_together
from tousu.testing import make_department, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_answer_of_a_group_shows_the_risk_its_own_events_end_with(monkeypatch):
    store_policy("manufacturing", activate=True)
    agent = make_user(Role.SPECIALIST, department=make_department(code="D1"), username="agent")
    now = timezone.now()
    lot = {"product": "PD-610", "lot": "L1", "quantity_delivered": 1000}
    texts = [("芯轴牙纹不良，装不上", 50, "13800000001"), ("芯轴牙纹不良，第二批也有", 120, "13800000003"),
             ("这批货芯轴螺纹不良", 160, "13800000001")]
    arrivals = [(validate_intake({"text": text, "quantity_defective": defective, "phone": phone, **lot}, now=now),
                 agent, now) for text, defective, phone in texts]
    outcomes, sizes = _arrive_together(arrivals, monkeypatch)
    assert sizes == [3]
    body = ComplaintDetailOut.from_orm(outcomes[0]).model_dump()
    last_assessed = [e for e in body["events"] if e["kind"] == "assessed"][-1]
    assert body["risk_level"] == last_assessed["data"]["after"]["risk_level"], (
        body["risk_level"], [(e["kind"], e["data"].get("trigger"), e["data"].get("after", {}).get("risk_level"))
                             for e in body["events"]])
