"""Seed 001: the same problem three or more times in one month on one product is serious (R-RA-5).
"The same problem" is the same defect-catalogue item, not the same product and suggested type."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tousu.assessments.policies import store_policy
from tousu.complaints.models import Complaint
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def manufacturing():
    return store_policy("manufacturing", activate=True)


def _record(text: str, at: datetime, product: str = "脚踏 FP-802") -> Complaint:
    return make_complaint(text=text, product=product, now=at, received_at=at)


def test_the_third_complaint_of_one_defect_in_a_month_is_serious_at_intake(manufacturing):
    start = datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
    first, second = (_record("芯轴牙纹不良", start + timedelta(days=d)) for d in (0, 1))
    third = _record("芯轴牙纹不良", start + timedelta(days=2))
    assert third.defect_grade == "serious" and third.risk_level == "high"
    assert third.problem_key == "pedal.spindle_thread_defect"
    # The recurrence makes the whole problem serious: the earlier two are re-assessed too.
    for earlier in (first, second):
        earlier.refresh_from_db()
        assert earlier.defect_grade == "serious"


def test_two_complaints_of_one_defect_stay_general(manufacturing):
    start = datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
    _record("芯轴牙纹不良", start)
    second = _record("芯轴牙纹不良", start + timedelta(days=1))
    assert second.defect_grade == "general"


def test_three_different_general_defects_on_one_product_are_no_recurrence(manufacturing):
    start = datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
    results = [_record(text, start + timedelta(hours=h)) for h, text in enumerate(["吊卡用错", "漏打后盖", "唛头写错"])]
    for complaint in results:
        complaint.refresh_from_db()
        assert complaint.defect_grade == "general", complaint.text


def test_the_same_defect_in_another_month_or_on_another_product_does_not_count(manufacturing):
    _record("芯轴牙纹不良", datetime(2026, 11, 29, 9, tzinfo=SHANGHAI))
    _record("芯轴牙纹不良", datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), product="脚踏 FP-900")
    third = _record("芯轴牙纹不良", datetime(2026, 12, 2, 9, tzinfo=SHANGHAI))
    assert third.defect_grade == "general"
