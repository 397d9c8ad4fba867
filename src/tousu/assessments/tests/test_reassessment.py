import io

import pytest
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.policies import store_policy
from tousu.complaints.models import Complaint
from tousu.intake.imports import import_file
from tousu.testing import bearer, make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manufacturing():
    return store_policy("manufacturing", activate=True)


def test_a_new_complaint_that_tips_the_lot_over_thirty_percent_regrades_the_earlier_one(manufacturing):
    first = make_complaint(text="踏板螺纹不良", lot="L2611", quantity_delivered=1000, quantity_defective=200)
    assert first.defect_grade == "general"
    second = make_complaint(text="踏板螺纹不良，又发现一批", lot="L2611", quantity_defective=100)
    first.refresh_from_db()
    assert second.defect_grade == "batch" and first.defect_grade == "batch"
    latest = first.assessments.order_by("-id").first()
    assert latest.trigger == "lot_changed" and first.assessments.count() == 2
    assert first.events.filter(kind="assessed", data__trigger="lot_changed").exists()


def test_a_neighbour_whose_result_does_not_change_gets_no_new_assessment(manufacturing):
    first = make_complaint(text="踏板螺纹不良", lot="L1", quantity_delivered=1000, quantity_defective=10)
    make_complaint(text="踏板螺纹不良", lot="L1", quantity_defective=10)
    assert first.assessments.count() == 1


def test_an_imported_batch_regrades_complaints_stored_before_it(manufacturing):
    first = make_complaint(text="踏板螺纹不良", lot="L9", quantity_delivered=100, quantity_defective=10)
    content = "text,lot,quantity_defective\n踏板螺纹不良，客户A,L9,15\n踏板螺纹不良，客户B,L9,10\n".encode()
    import_file(io.BytesIO(content), "x.csv", by=None, now=timezone.now())
    first.refresh_from_db()
    assert first.defect_grade == "batch"
    assert first.assessments.order_by("-id").first().trigger == "lot_changed"


def test_a_repeat_from_the_same_customer_raises_the_earlier_complaint():
    first = make_complaint(text="快递没到", phone="13800138000")
    before = first.assessments.get()
    assert "repetition" not in before.factors
    for _ in range(3):
        make_complaint(text="快递还是没到", phone="13800138000")
    first.refresh_from_db()
    latest = first.assessments.order_by("-id").first()
    assert "repetition" in latest.factors and latest.trigger == "repeat"


def test_closed_complaints_are_not_reassessed():
    first = make_complaint(text="快递没到", phone="13800138001")
    Complaint.objects.filter(pk=first.pk).update(status="closed")
    for _ in range(3):
        make_complaint(text="快递还是没到", phone="13800138001")
    assert first.assessments.count() == 1


def test_changing_lot_quantities_through_the_api_reassesses_and_records_the_change(client, manufacturing):
    specialist = make_user(Role.SPECIALIST, department=make_department())
    complaint = make_complaint(text="踏板螺纹不良", lot="L7", by=specialist)
    assert complaint.defect_grade == "general"
    response = client.patch(f"/api/complaints/{complaint.tracking_number}",
                            {"quantity_delivered": 100, "quantity_defective": "40件"},
                            content_type="application/json", headers=bearer(specialist))
    assert response.status_code == 200, response.content
    assert response.json()["defect_grade"] == "batch" and response.json()["quantity_defective"] == 40
    event = complaint.events.get(kind="fields_changed")
    assert event.data["changes"]["quantity_defective"] == [None, 40] and event.actor == specialist
    assert complaint.assessments.order_by("-id").first().trigger == "facts_changed"


@pytest.mark.parametrize(("payload", "field"), [
    ({"text": "改写原文"}, "text"),
    ({"quantity_defective": "很多"}, "quantity_defective"),
    ({"quantity_delivered": 10, "quantity_defective": 20}, "quantity_defective"),
    ({"colour": "red"}, "colour"),
])
def test_bad_fact_changes_name_the_field_and_change_nothing(client, payload, field):
    specialist = make_user(Role.SPECIALIST, department=make_department())
    complaint = make_complaint(text="踏板螺纹不良", by=specialist)
    response = client.patch(f"/api/complaints/{complaint.tracking_number}", payload,
                            content_type="application/json", headers=bearer(specialist))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not complaint.events.filter(kind="fields_changed").exists()
    complaint.refresh_from_db()
    assert complaint.quantity_defective is None and complaint.text == "踏板螺纹不良"
