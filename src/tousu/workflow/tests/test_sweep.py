import threading
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from tousu.notify.models import Notification, WebhookEndpoint
from tousu.testing import make_complaint, make_team
from tousu.timeline import SHANGHAI
from tousu.workflow.actions.sweep import sweep
from tousu.workflow.actions.transitions import acknowledge
from tousu.workflow.models import Escalation


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def team(db):
    people = make_team()
    return people["agent"], people["manager"], people["leader"]


def _complaint(agent, when="2026-11-02T10:00"):  # a Monday
    return make_complaint(by=agent, text="想咨询一下退货流程", now=at(when), received_at=at(when))


def _steps(complaint) -> list[tuple[str, int, str]]:
    return [(e.deadline.stage, e.level, e.step) for e in Escalation.objects.filter(complaint=complaint)
            .select_related("deadline").order_by("at", "level", "deadline__stage")]


@pytest.mark.django_db
def test_the_owner_is_warned_once_before_the_deadline(team):
    agent, _manager, _leader = team
    complaint = _complaint(agent)
    assert sweep(at("2026-11-03T03:59")) == {"warned": 0, "escalated": 0}
    # 75 % of the 24 hours to acknowledge and of the working day to respond
    assert sweep(at("2026-11-03T04:00")) == {"warned": 2, "escalated": 0}
    assert sweep(at("2026-11-03T05:00")) == {"warned": 0, "escalated": 0}
    warnings = Notification.objects.filter(kind="warning")
    assert {(w.recipient, w.address) for w in warnings} == {(agent, agent.email)} and len(warnings) == 2
    assert complaint.events.filter(kind="deadline_warning").count() == 2


@pytest.mark.django_db
def test_an_overdue_complaint_goes_up_owner_then_manager_then_leader(team):
    agent, manager, leader = team
    complaint = _complaint(agent)
    acknowledge(complaint, by=agent, now=at("2026-11-02T11:00"))
    # first response was due 2026-11-03T10:00; escalation steps every 4 working hours (whole days here)
    sweep(at("2026-11-03T10:30"))
    sweep(at("2026-11-03T14:31"))
    sweep(at("2026-11-03T18:32"))
    sweep(at("2026-11-03T22:33"))  # nothing left to climb
    assert _steps(complaint) == [("first_response", 1, "owner"), ("first_response", 2, "manager"),
                                 ("first_response", 3, "leader")]
    recipients = {n.recipient for n in Notification.objects.filter(kind="escalation")}
    assert recipients == {agent, manager, leader}
    events = complaint.events.filter(kind="escalated").order_by("at")
    assert [e.data["step"] for e in events] == ["owner", "manager", "leader"]
    assert all("first_response" == e.data["stage"] and e.note for e in events)


@pytest.mark.django_db
def test_a_sweep_run_twice_escalates_and_notifies_once(team):
    agent, _manager, _leader = team
    complaint = _complaint(agent)
    WebhookEndpoint.objects.create(name="投诉群", kind="wecom", url="http://127.0.0.1:9/hook")
    first = sweep(at("2026-11-03T11:00"))
    again = sweep(at("2026-11-03T11:00"))
    assert first["escalated"] == 2 and again == {"warned": 0, "escalated": 0}  # acknowledge and first response
    assert Escalation.objects.filter(complaint=complaint).count() == 2
    assert Notification.objects.filter(kind="escalation").count() == 2  # the owner's emails; no webhook at owner step


@pytest.mark.django_db
def test_met_and_paused_clocks_are_left_alone(team):
    agent, _manager, _leader = team
    complaint = _complaint(agent)
    acknowledge(complaint, by=agent, now=at("2026-11-02T11:00"))
    from tousu.workflow.actions import deadlines

    deadlines.pause(complaint, by=agent, reason="等客户回复", now=at("2026-11-02T12:00"))
    assert sweep(at("2026-11-20T12:00")) == {"warned": 0, "escalated": 0}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_escalate_the_same_step_twice(team):
    agent, _manager, _leader = team
    complaints = [_complaint(agent) for _ in range(20)]
    results, errors = [], []

    def run():
        try:
            results.append(sweep(at("2026-11-03T11:00")))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r["escalated"] for r in results) == 40  # 20 complaints × (acknowledge, first response)
    assert Escalation.objects.count() == 40
    keys = list(Notification.objects.filter(kind="escalation").values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 40
    assert len(complaints) == 20


@pytest.mark.django_db
def test_the_sweep_command_takes_now_for_operators(team, capsys):
    agent, _manager, _leader = team
    _complaint(agent)
    call_command("sweep", "--now", "2026-11-03T11:00", "--no-deliver")
    assert '"escalated": 2' in capsys.readouterr().out


@pytest.mark.django_db
def test_a_backlog_is_worked_off_in_small_transactions_with_the_same_result(team):
    agent, _manager, _leader = team
    complaints = [_complaint(agent) for _ in range(7)]
    assert sweep(at("2026-11-03T11:00"), chunk=3) == {"warned": 0, "escalated": 14}
    assert Escalation.objects.count() == 14 and Notification.objects.filter(kind="escalation").count() == 14
    assert sweep(at("2026-11-03T11:00"), chunk=3) == {"warned": 0, "escalated": 0}
    assert all(c.escalations.count() == 2 for c in complaints)


@pytest.mark.django_db
def test_an_emergency_plan_left_unconfirmed_past_the_golden_period_is_raised_once(team):
    from tousu.workflow.actions.emergency import activate
    from tousu.workflow.models import EmergencyPlan

    agent, manager, leader = team
    complaint = make_complaint(by=agent, text="孩子被热水壶烫伤住院了", now=at("2026-11-02T10:00"),
                               received_at=at("2026-11-02T10:00"))
    plan = EmergencyPlan.objects.get(complaints=complaint)
    assert "emergencies_unconfirmed" not in sweep(at("2026-11-02T11:59"))
    assert sweep(at("2026-11-02T12:01"))["emergencies_unconfirmed"] == 1
    assert "emergencies_unconfirmed" not in sweep(at("2026-11-02T12:30"))
    raised = Notification.objects.filter(key__startswith=f"emergency-unconfirmed:{plan.pk}")
    assert {n.recipient for n in raised} == {leader, manager}
    assert complaint.events.filter(kind="escalated", data__plan=plan.pk).count() == 1
    activate(plan, by=leader, now=at("2026-11-02T12:40"), team=[(manager, "on_site")])
    assert "emergencies_unconfirmed" not in sweep(at("2026-11-03T12:00"))
