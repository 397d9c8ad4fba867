import pytest

from tousu.testing import bearer, make_complaint, make_team
from tousu.workflow.models import EmergencyPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return make_team(department_code="kf", agent="li", specialist="zhao", manager="wang", leader="boss")


def _post(client, user, url, body=None):
    return client.post(url, body or {}, content_type="application/json", headers=bearer(user))


def test_a_complaint_is_handled_from_acknowledgement_to_closing_through_the_api(client, people):
    agent, specialist = people["agent"], people["specialist"]
    complaint = make_complaint(by=agent, text="想咨询一下退货流程")
    base = f"/api/complaints/{complaint.tracking_number}"
    view = client.get(f"{base}/workflow", headers=bearer(agent)).json()
    assert view["actions"] == ["acknowledge", "start_investigation"]
    assert {d["stage"] for d in view["deadlines"]} == {"acknowledge", "first_response", "solution"}
    assert not any(d["provisional"] for d in view["deadlines"])  # 2026 has its official schedule
    assert _post(client, agent, f"{base}/actions/acknowledge").json()["status"] == "acknowledged"
    assert _post(client, agent, f"{base}/actions/start_investigation").status_code == 200
    paused = _post(client, agent, f"{base}/pause", {"reason": "等待客户提供照片"}).json()
    assert paused["waiting_since"] and all(d["paused_at"] for d in paused["deadlines"] if not d["met_at"])
    assert _post(client, agent, f"{base}/resume", {"reason": "照片已收到"}).json()["waiting_since"] is None
    solution = _post(client, agent, f"{base}/solutions", {"measures": "换新", "owner": "li", "due_date": "2030-01-10",
                                                         "compensation": "200"})
    assert solution.status_code == 201, solution.content
    body = solution.json()
    assert [s["role"] for s in body["steps"]] == ["specialist"]
    decided = _post(client, specialist, f"/api/solutions/{body['id']}/decision", {"approve": True})
    assert decided.json()["status"] == "approved"
    for action in ("carry_out", "close"):
        assert _post(client, agent, f"{base}/actions/{action}").status_code == 200
    closed = client.get(f"{base}/workflow", headers=bearer(agent)).json()
    assert closed["status"] == "closed" and all(d["met_at"] for d in closed["deadlines"])


def test_an_impossible_action_is_a_409_conflict_naming_the_status(client, people):
    complaint = make_complaint(by=people["agent"])
    response = _post(client, people["agent"], f"/api/complaints/{complaint.tracking_number}/actions/close")
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "status"
    # approve is taken by the approval chain, never directly: not an action the API publishes
    response = _post(client, people["agent"], f"/api/complaints/{complaint.tracking_number}/actions/approve")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "action"


def test_transfer_and_root_cause_through_the_api(client, people):
    complaint = make_complaint(by=people["agent"], text="想咨询一下退货流程")
    base = f"/api/complaints/{complaint.tracking_number}"
    bad = _post(client, people["agent"], f"{base}/transfer", {"to_user": "nobody", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to_user"
    moved = _post(client, people["agent"], f"{base}/transfer", {"to_user": "zhao", "reason": "专员处理"}).json()
    assert moved["owner"] == "zhao" and moved["first_owner"] == "li"
    cause = client.put(f"{base}/root-cause", {"category": "服务流程", "whys": ["流程不清", "培训不足"],
                                              "responsible_department": "kf"},
                       content_type="application/json", headers=bearer(people["specialist"]))
    assert cause.status_code == 200 and cause.json()["whys"] == ["流程不清", "培训不足"]


def test_the_leader_activates_and_closes_an_emergency_through_the_api(client, people):
    complaint = make_complaint(by=people["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    listed = client.get("/api/emergencies?state=proposed", headers=bearer(people["leader"])).json()
    assert [p["id"] for p in listed] == [plan.pk]
    assert _post(client, people["manager"], f"/api/emergencies/{plan.pk}/activate").status_code == 403
    active = _post(client, people["leader"], f"/api/emergencies/{plan.pk}/activate",
                   {"team": [{"user": "li", "role": "on_site"}]}).json()
    assert active["state"] == "active" and {"user": "li", "role": "on_site"} in active["members"]
    logged = _post(client, people["agent"], f"/api/emergencies/{plan.pk}/log", {"kind": "action", "text": "已送医"})
    assert logged.json()["log"][-1]["text"] == "已送医"
    closed = _post(client, people["leader"], f"/api/emergencies/{plan.pk}/close", {"closing_review": "已召回"}).json()
    assert closed["state"] == "closed" and closed["closing_review"] == "已召回"


def test_a_week_of_handling_with_the_clock_frozen(client, people):
    """Through the API and the sweep command, with time itself moved on (time-machine)."""
    import json
    from datetime import datetime
    from io import StringIO

    import time_machine
    from django.core.management import call_command

    from tousu.timeline import SHANGHAI

    agent = people["agent"]
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        complaint = make_complaint(by=agent, text="想咨询一下退货流程")
        base = f"/api/complaints/{complaint.tracking_number}"
        _post(client, agent, f"{base}/actions/start_investigation")
        _post(client, agent, f"{base}/pause", {"reason": "请客户提供订单截图"})
        clock.move_to(datetime(2026, 11, 5, 10, 0, tzinfo=SHANGHAI))  # three working days later
        view = _post(client, agent, f"{base}/resume", {"reason": "截图已收到"}).json()
        investigation = next(d for d in view["deadlines"] if d["stage"] == "investigation")
        assert investigation["due_at"].startswith("2026-11-12T02:00")  # 10:00 in Shanghai, 3 days later
        clock.move_to(datetime(2026, 11, 13, 9, 0, tzinfo=SHANGHAI))
        out = StringIO()
        call_command("sweep", "--no-deliver", stdout=out)
        assert json.loads(out.getvalue())["escalated"] >= 1
        view = client.get(f"{base}/workflow", headers=bearer(agent)).json()
        assert next(d for d in view["deadlines"] if d["stage"] == "investigation")["overdue"] is True
