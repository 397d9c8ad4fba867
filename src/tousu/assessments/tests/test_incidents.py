from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from tousu.accounts.roles import Role
from tousu.assessments.models import Incident
from tousu.complaints.access import AccessDenied
from tousu.intake.incidents import close_incident, detect
from tousu.notify.models import Notification
from tousu.testing import make_complaint, make_user
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def _complaints(n: int, *, product="智能门锁 X3", hours_ago=1, start=0):
    return [make_complaint(text=f"门锁打不开了，第{start + i}位客户", product=product, phone=f"1380000{start + i:04d}",
                           now=NOW - timedelta(hours=hours_ago), received_at=NOW - timedelta(hours=hours_ago))
            for i in range(n)]


def test_a_sudden_rise_opens_one_incident_that_links_the_complaints_and_raises_them():
    leader = make_user(Role.LEADER)
    complaints = _complaints(5)
    assert "high" not in {c.risk_level for c in complaints}
    [incident] = detect(NOW)
    assert (incident.key, incident.value, incident.count_at_open) == ("product", "智能门锁 X3", 5)
    assert set(incident.complaints.all()) == set(complaints)
    for complaint in complaints:
        complaint.refresh_from_db()
        latest = complaint.assessments.order_by("-id").first()
        assert complaint.risk_level == "high" and latest.trigger == "incident"
        assert any(r["rule"] == "impact_scope.incident" for r in latest.reasons)
    assert Notification.objects.filter(kind="incident", recipient=leader).count() == 1
    assert detect(NOW + timedelta(minutes=5)) == []  # still the same incident
    assert Incident.objects.count() == 1


def test_a_complaint_arriving_during_the_incident_is_linked_and_assessed_high_at_intake():
    _complaints(5)
    [incident] = detect(NOW)
    [late] = _complaints(1, hours_ago=0, start=10)
    assert late.risk_level == "high" and incident.complaints.filter(pk=late.pk).exists()


def test_the_usual_rate_is_no_incident():
    for day in range(1, 28):
        _complaints(2, hours_ago=24 * day + 2, start=day * 10)  # two a day for four weeks
    _complaints(5)  # five today: fewer than three times the usual two
    assert detect(NOW) == []


def test_too_few_complaints_are_no_incident():
    _complaints(4)
    assert detect(NOW) == []


def test_closing_the_incident_lowers_its_complaints_again_and_needs_a_note():
    complaints = _complaints(5)
    [incident] = detect(NOW)
    with pytest.raises(AccessDenied):
        close_incident(incident, by=make_user(Role.AGENT), note="x", now=NOW)
    close_incident(incident, by=make_user(Role.QUALITY), note="固件问题已修复", now=NOW + timedelta(hours=3))
    complaints[0].refresh_from_db()
    assert complaints[0].risk_level == "medium"  # five similar in a week is still medium by the scope rule
    assert complaints[0].assessments.order_by("-id").first().trigger == "incident_closed"


def test_the_incidents_command_reports_what_it_opened(capsys):
    _complaints(6, product="")  # no product: grouped by nothing
    _complaints(5, product="扫地机器人 S7", start=20)
    call_command("incidents", "--now", NOW.isoformat())
    out = capsys.readouterr().out
    assert '"value": "扫地机器人 S7"' in out and '"open": 1' in out


def test_incidents_are_listed_and_closed_through_the_api_and_the_page(client):
    from tousu.testing import bearer

    _complaints(5)
    [incident] = detect(NOW)
    quality = make_user(Role.QUALITY)
    listed = client.get("/api/incidents?state=open", headers=bearer(quality)).json()
    assert [(i["value"], len(i["complaints"])) for i in listed] == [("智能门锁 X3", 5)]
    refused = client.post(f"/api/incidents/{incident.pk}/close", {"note": " "}, content_type="application/json",
                          headers=bearer(quality))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
    client.force_login(quality)
    assert "智能门锁 X3" in client.get("/emergencies/").content.decode()
    client.post(f"/incidents/{incident.pk}/close/", {"note": "已修复"})
    incident.refresh_from_db()
    assert incident.state == "closed" and incident.closed_by == quality
