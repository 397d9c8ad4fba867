import pytest

from tousu.accounts.roles import Role
from tousu.testing import make_complaint, make_team, make_user
from tousu.workflow.models import EmergencyPlan, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return make_team()


def test_the_complaint_page_offers_the_next_steps_and_takes_them(client, people):
    agent = people["agent"]
    complaint = make_complaint(by=agent, text="想咨询一下退货流程")
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert f"/complaints/{complaint.tracking_number}/act/acknowledge/" in page and 'id="clocks"' in page
    assert "/act/close/" not in page
    client.post(f"/complaints/{complaint.tracking_number}/act/start_investigation/")
    complaint.refresh_from_db()
    assert complaint.status == "investigating"
    response = client.post(f"/complaints/{complaint.tracking_number}/act/close/", follow=True)
    assert "状态：" in response.content.decode()  # the refusal is shown, naming the field in Chinese
    client.post(f"/complaints/{complaint.tracking_number}/pause/", {"reason": "等客户照片"})
    complaint.refresh_from_db()
    assert complaint.waiting_since is not None
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert 'id="waiting"' in page and "/resume/" in page


def test_a_solution_is_proposed_and_approved_from_the_pages(client, people):
    agent, specialist = people["agent"], people["specialist"]
    complaint = make_complaint(by=agent, text="想咨询一下退货流程")
    client.force_login(agent)
    client.post(f"/complaints/{complaint.tracking_number}/act/start_investigation/")
    client.post(f"/complaints/{complaint.tracking_number}/solutions/", {
        "measures": "退货退款", "owner": agent.pk, "due_date": "2030-01-01", "compensation": "100"})
    solution = complaint.solutions.get()
    client.force_login(specialist)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert f"/solutions/{solution.pk}/decision/" in page
    client.post(f"/solutions/{solution.pk}/decision/", {"decision": "approve"})
    complaint.refresh_from_db()
    assert complaint.status == "approved"


def test_an_analyst_sees_the_handling_card_but_no_buttons(client, people):
    complaint = make_complaint(by=people["agent"], text="想咨询一下退货流程")
    client.force_login(make_user(Role.ANALYST))
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert 'id="handling"' in page and "/act/" not in page
    assert client.post(f"/complaints/{complaint.tracking_number}/act/acknowledge/").status_code == 403


def test_the_leader_activates_an_emergency_from_its_page(client, people):
    complaint = make_complaint(by=people["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    client.force_login(people["leader"])
    assert plan.title in client.get("/emergencies/").content.decode()
    client.post(f"/emergencies/{plan.pk}/activate/", {"on_site": [people["agent"].pk]})
    plan.refresh_from_db()
    assert plan.state == "active" and plan.members.filter(user=people["agent"], team_role="on_site").exists()
    client.force_login(people["agent"])
    client.post(f"/emergencies/{plan.pk}/report/", {"kind": "progress", "text": "伤者已出院"})
    assert plan.log.filter(text="伤者已出院").exists()


def test_the_customer_answers_the_survey_without_logging_in(client, people):
    from django.utils import timezone

    from tousu.workflow.actions.survey import send_survey

    complaint = make_complaint(by=people["agent"], text="想咨询一下退货流程")
    survey = send_survey(complaint, now=timezone.now())
    page = client.get(f"/survey/{survey.token}/")
    assert page.status_code == 200 and complaint.tracking_number in page.content.decode()
    response = client.post(f"/survey/{survey.token}/", {"score": "4", "comment": "还行"})
    assert 'id="thanks"' in response.content.decode()
    assert Survey.objects.get(pk=survey.pk).score == 4
    assert client.get("/survey/not-a-token/").status_code == 404


def test_the_list_shows_the_next_deadline_and_filters_the_overdue(client, people):
    from datetime import timedelta

    from django.utils import timezone

    from tousu.testing import bearer

    agent = people["agent"]
    late = make_complaint(by=agent, text="想咨询一下退货流程", received_at=timezone.now() - timedelta(days=3))
    fresh = make_complaint(by=agent, text="想咨询一下积分规则")
    client.force_login(agent)
    page = client.get("/complaints/?overdue=1&sort=due").content.decode()
    assert late.tracking_number in page and fresh.tracking_number not in page
    assert "overdue-cell" in page
    listed = client.get("/api/complaints?overdue=true", headers=bearer(agent)).json()
    assert [c["tracking_number"] for c in listed["items"]] == [late.tracking_number]
    listed = client.get("/api/complaints?overdue=false", headers=bearer(agent)).json()
    assert [c["tracking_number"] for c in listed["items"]] == [fresh.tracking_number]


def test_the_admin_configures_chat_webhooks_and_reads_the_outbox(client):
    from tousu.notify.models import WebhookEndpoint

    client.force_login(make_user(Role.ADMIN))
    response = client.post("/admin/notify/webhookendpoint/add/", {
        "name": "投诉群", "kind": "dingtalk", "url": "http://127.0.0.1:9/robot", "active": "on"})
    assert response.status_code == 302 and WebhookEndpoint.objects.get().kind == "dingtalk"
    for path in ("/admin/notify/notification/", "/admin/workflow/deadline/", "/admin/workflow/emergencyplan/",
                 "/admin/assessments/incident/", "/admin/workflow/survey/"):
        assert client.get(path).status_code == 200, path


def test_bad_forms_and_refusals_on_the_pages_change_nothing(client, people):
    complaint = make_complaint(by=people["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    client.force_login(people["agent"])
    response = client.post(f"/complaints/{complaint.tracking_number}/transfer/", {"to_user": people["specialist"].pk})
    page = response.content.decode()
    # The form comes back open, with the choice kept and the error beside the field, in Chinese.
    assert response.status_code == 422 and "<details open>" in page and "这个字段是必填项" in page
    complaint.refresh_from_db()
    assert complaint.owner == people["agent"] and not complaint.transfers.exists()
    client.force_login(people["manager"])
    assert client.post(f"/emergencies/{plan.pk}/activate/", {}).status_code == 403
    assert client.post(f"/emergencies/{plan.pk}/nonsense/", {}).status_code == 404
    plan.refresh_from_db()
    assert plan.state == "proposed"
