"""An emergency plan's timeline stores codes and facts and reads in the reader's language (STYLE.md 14); old
rows stored as sentences in either language are turned into codes by the data migration; the plan page's
forms come back with their input and the message beside the field."""

import importlib
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from tousu.testing import make_complaint, make_team
from tousu.workflow.models import EmergencyLog, EmergencyPlan

pytestmark = pytest.mark.django_db
migration = importlib.import_module("tousu.workflow.migrations.0005_emergency_log_codes")


def _timeline(client, plan, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/emergencies/{plan.pk}/").content.decode()
    return re.search(r'<table id="timeline">.*?</tbody></table>', page, re.S).group(0)


def test_the_timeline_stores_codes_and_reads_in_the_readers_language(client):
    team = make_team()
    complaint = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了")
    other = make_complaint(by=team["agent"], text="热水壶爆炸，孩子被烫伤")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    client.force_login(team["leader"])
    client.post(f"/emergencies/{plan.pk}/activate/", {"on_site": [team["agent"].pk]})
    client.post(f"/emergencies/{plan.pk}/add_members/", {"logistics": [team["specialist"].pk]})
    client.post(f"/emergencies/{plan.pk}/link/", {"tracking_number": other.tracking_number})
    client.post(f"/emergencies/{plan.pk}/report/", {"kind": "progress", "text": "伤者已出院"})
    client.post(f"/emergencies/{plan.pk}/close/", {"closing_review": "已召回同批次热水壶"})
    stored = list(plan.log.values_list("event", "text"))
    assert stored == [("proposed", ""), ("activated", ""), ("joined", ""), ("linked", ""), ("", "伤者已出院"),
                      ("closed", "")]
    chinese = _timeline(client, plan, "zh-hans")
    assert "由风险评估提出" in chinese and "应急预案已启动" in chinese
    assert f"加入应急小组：{team['specialist']}（后勤保障）" in chinese
    assert f"已关联投诉 {other.tracking_number}" in chinese and "伤者已出院" in chinese
    english = _timeline(client, plan, "en")
    assert "Plan activated" in english and f"{team['specialist']} (Logistics support)" in english
    assert "伤者已出院" in english  # a person's words stay as written


def test_the_migration_turns_old_sentences_of_either_language_into_codes():
    team = make_team()
    plan = EmergencyPlan.objects.create(title="x", proposed_at=timezone.now(), golden_due_at=timezone.now())
    leader, now = team["leader"], timezone.now()
    rows = [("state", "proposed by the risk assessment: emergency", None),
            ("state", "由群体性事件预警提议：12 起投诉……", None), ("state", "已启动", leader),
            ("action", "加入应急小组：li、wang", leader), ("action", "linked TS2611-ABCDE", leader),
            ("state", "不是紧急事件，误报", leader), ("state", "closed", leader),
            ("progress", "linked TS2611 to the hotline", leader)]
    for kind, text, by in rows:
        EmergencyLog.objects.create(plan=plan, kind=kind, text=text, by=by, at=now)
    migration.forward(apps, None)
    coded = [(e.event, e.data, e.text) for e in plan.log.order_by("id")]
    assert coded == [("proposed", {"by": "assessment"}, ""), ("proposed", {"by": "incident"}, ""),
                     ("activated", {}, ""), ("joined", {"members": [["li", ""], ["wang", ""]]}, ""),
                     ("linked", {"tracking_number": "TS2611-ABCDE"}, ""), ("declined", {}, "不是紧急事件，误报"),
                     ("closed", {}, ""), ("", {}, "linked TS2611 to the hotline")]


def test_the_plan_forms_come_back_with_the_input_and_the_message_beside_the_field(client):
    team = make_team()
    complaint = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(team["leader"])
    refused = client.post(f"/emergencies/{plan.pk}/activate/", {})
    assert refused.status_code == 422 and "除您之外至少" in refused.content.decode()
    refused = client.post(f"/emergencies/{plan.pk}/decline/", {"reason": ""})
    assert refused.status_code == 422 and re.search(
        r'<ul class="errorlist"[^>]*><li>这个字段是必填项。</li></ul>\s*<p>\s*<label for="id_reason">',
        refused.content.decode())
    client.post(f"/emergencies/{plan.pk}/activate/", {"on_site": [team["agent"].pk]})
    refused = client.post(f"/emergencies/{plan.pk}/link/", {"tracking_number": "TS2611-NOONE"})
    page = refused.content.decode()
    assert refused.status_code == 422 and 'value="TS2611-NOONE"' in page and "没有您可查看的此编号投诉" in page
    refused = client.post(f"/emergencies/{plan.pk}/close/", {"closing_review": "  "})
    assert refused.status_code == 422 and "这个字段是必填项" in refused.content.decode()
    plan.refresh_from_db()
    assert plan.state == "active" and plan.complaints.count() == 1
