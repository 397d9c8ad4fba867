from datetime import datetime, timedelta

import pytest

from tousu.assessments.models import Incident
from tousu.intake.incidents import detect
from tousu.testing import make_complaint
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def _complaint(i: int, text: str, **fields):
    at = NOW - timedelta(hours=2)
    return make_complaint(text=text, phone=f"1390000{i:04d}", now=at, received_at=at, **fields)


def test_six_complaints_about_one_product_in_one_region_open_one_incident_with_both_attributes():
    complaints = [_complaint(i, f"门锁打不开了，第{i}位", product="智能门锁 X3", region="杭州", lot="L2611")
                  for i in range(6)]
    [incident] = detect(NOW)
    attributes = {(a.key, a.value) for a in incident.attributes.all()}
    assert {("product", "智能门锁 X3"), ("region", "杭州"), ("lot", "L2611")} <= attributes
    assert set(incident.complaints.all()) == set(complaints)
    assert Incident.objects.count() == 1


def test_the_same_type_over_unrelated_products_and_texts_opens_no_incident():
    texts = ["热水壶底座漏水", "吹风机开关失灵", "电饭煲内胆涂层脱落", "手机屏幕有亮点", "耳机左声道没声音",
             "冰箱不制冷", "空调外机噪音大", "洗衣机甩干时震动", "电视遥控器按键失灵", "台灯闪烁",
             "剃须刀充不进电", "电动牙刷刷头断裂", "路由器经常掉线", "显示器边框开裂"]
    made = [_complaint(i, text, product=f"产品{i}", region=f"城市{i}") for i, text in enumerate(texts)]
    assert len({c.complaint_type for c in made}) <= 3  # mostly one type: the old grouping key
    assert detect(NOW) == []


def test_a_cluster_of_similar_texts_without_product_or_region_is_an_incident():
    complaints = [_complaint(i, f"APP登录一直提示网络异常，无法登录账户，已经试了{i}次") for i in range(7)]
    complaints.append(_complaint(50, "快递员态度很差"))
    [incident] = detect(NOW)
    assert incident.key == "cluster"
    assert set(incident.complaints.all()) == set(complaints[:7])


def test_a_second_detection_during_the_incident_adds_later_arrivals_instead_of_opening_another():
    for i in range(6):
        _complaint(i, f"门锁打不开了，第{i}位", product="智能门锁 X3", region="杭州")
    [incident] = detect(NOW)
    late = make_complaint(text="门锁又打不开了", product="智能门锁 X3", region="宁波", phone="13900009999",
                          now=NOW + timedelta(minutes=3), received_at=NOW + timedelta(minutes=3))
    assert detect(NOW + timedelta(minutes=5)) == []
    assert incident.complaints.filter(pk=late.pk).exists()
    assert Incident.objects.count() == 1
