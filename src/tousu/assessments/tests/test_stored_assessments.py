import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.actions import assess_complaint
from tousu.assessments.models import PolicyVersion, RiskAssessment
from tousu.assessments.policies import active_policy, store_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.validation import IntakeError
from tousu.intake.consequences import override_risk
from tousu.testing import bearer, make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db


def test_every_complaint_is_assessed_before_its_number_is_shown(client):
    agent = make_user(Role.AGENT, department=make_department())
    response = client.post("/api/complaints", {"text": "孩子被热水壶烫伤了，我要找媒体曝光"},
                           content_type="application/json", headers=bearer(agent))
    body = response.json()
    assessment = RiskAssessment.objects.get(complaint__tracking_number=body["tracking_number"])
    assert assessment.risk_level == "high" and assessment.emergency
    assert assessment.policy_version.is_active and assessment.trigger == "intake"
    assert any(r["factor"] == "safety" and r["matches"] for r in assessment.reasons)
    assert body["risk_level"] == "high" and body["emergency"] is True


def test_imported_complaints_are_assessed_with_the_active_version(tmp_path):
    import io

    from tousu.intake.imports import import_file

    content = "text,lot,quantity_delivered,quantity_defective\n已经报警了,,,\n想咨询一下,,,\n".encode()
    import_file(io.BytesIO(content), "x.csv", by=None, now=timezone.now())
    levels = dict(RiskAssessment.objects.values_list("complaint__text", "risk_level"))
    assert levels == {"已经报警了": "high", "想咨询一下": "low"}


def test_a_new_policy_never_changes_past_assessments():
    complaint = make_complaint(text="要求退款", amount="600")
    first = complaint.assessments.get()
    assert first.risk_level == "medium"
    custom = PolicyVersion.objects.create(name="strict", version="1", is_active=False,
                                          content="extends: default\nname: strict\nversion: '1'\nmoney: {high_amount: 500}\n")
    from tousu.assessments.policies import activate_policy

    activate_policy(custom)
    assess_complaint(complaint, now=timezone.now(), trigger="reassess")
    first.refresh_from_db()
    assert first.risk_level == "medium" and first.policy_version.name == "default"
    assert complaint.assessments.order_by("-id").first().risk_level == "high"
    complaint.refresh_from_db()
    assert complaint.risk_level == "high"


def test_the_repeat_of_a_customer_raises_repetition():
    make_complaint(text="宽带断网", phone="13812345678")
    second = make_complaint(text="宽带又断网", phone="13812345678")
    assert "repetition" in second.assessments.get().factors


def test_a_specialist_overrides_with_a_reason_and_both_levels_stay_visible():
    specialist = make_user(Role.SPECIALIST)
    complaint = make_complaint(text="快递晚到三天，要求退运费")
    override = override_risk(complaint, level="high", reason="客户是媒体从业者", by=specialist, now=timezone.now())
    complaint.refresh_from_db()
    assert (complaint.risk_level, complaint.assessed_level) == ("high", "medium")
    assert override.assessment.risk_level == "medium"
    event = complaint.events.get(kind="risk_overridden")
    assert event.note == "客户是媒体从业者" and event.data["before"] == "medium"
    # a later reassessment keeps the person's level in force
    assess_complaint(complaint, now=timezone.now(), trigger="facts_changed")
    complaint.refresh_from_db()
    assert complaint.risk_level == "high"


def test_an_override_needs_a_reason_and_the_right_role():
    complaint = make_complaint()
    with pytest.raises(IntakeError) as caught:
        override_risk(complaint, level="extreme", reason=" ", by=make_user(Role.MANAGER), now=timezone.now())
    assert {e.field for e in caught.value.errors} == {"level", "reason"}
    with pytest.raises(AccessDenied):
        override_risk(complaint, level="low", reason="x", by=make_user(Role.AGENT), now=timezone.now())
    complaint.refresh_from_db()
    assert complaint.risk_level == complaint.assessed_level


def test_storing_a_shipped_policy_resolves_extends_and_activates_once():
    version = store_policy("banking", activate=True)
    assert "extends" not in version.content
    assert active_policy()[0] == version
    assert store_policy("banking").pk == version.pk
    assert PolicyVersion.objects.filter(is_active=True).count() == 1


def test_evaluate_risk_prints_the_json_report(tmp_path, capsys):
    path = tmp_path / "set.csv"
    path.write_text("text,risk,emergency\n孩子被烫伤,high,yes\n想咨询一下,low,no\n要求退款,medium,no\n", encoding="utf-8")
    call_command("evaluate", "risk", str(path), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3 and report["emergency_recall"] == 1.0
    assert report["levels"]["high"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert report["confusion"]["low"]["low"] == 1


def test_evaluate_names_a_bad_label(tmp_path):
    from django.core.management import CommandError

    path = tmp_path / "set.csv"
    path.write_text("text,risk\nx,severe\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2, column risk"):
        call_command("evaluate", "risk", str(path))


def test_assess_streams_json_lines(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "已经报警"}\nnot json\n{"text": "请问怎么办理", "channel": "phone"}\n'))
    call_command("assess", "--jsonl")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("risk_level") for line in lines] == ["high", None, "low"]
    assert lines[1]["error"]["line"] == 2


@pytest.mark.parametrize("bad", ['"abc"', "{}", "[]", "true", '"NaN"', "-3"])
def test_a_bad_amount_in_the_stream_is_an_error_line_and_the_stream_goes_on(monkeypatch, capsys, bad):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(f'{{"text": "扣款不对", "amount": {bad}}}\n{{"text": "已经报警"}}\n'))
    call_command("assess", "--jsonl")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["error"]["reason"].startswith("amount:") and lines[1]["risk_level"] == "high"


def test_evaluate_reads_row_keyed_labels_with_their_texts_and_one_side_of_the_split(tmp_path):
    (tmp_path / "texts.csv").write_text("text,label\n已经报警了,0\n请问怎么办理,1\n孩子烫伤了,2\n", encoding="utf-8")
    (tmp_path / "labels.csv").write_text("row,risk,emergency\n0,high,no\n1,low,no\n2,high,yes\n", encoding="utf-8")
    (tmp_path / "split.json").write_text('{"frozen": [2], "tune": [0, 1]}', encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate", "risk", str(tmp_path / "labels.csv"), "--texts", str(tmp_path / "texts.csv"),
                 "--split", "frozen", "--json", stdout=out)
    metrics = json.loads(out.getvalue())
    assert metrics["n"] == 1 and metrics["emergency_recall"] == 1.0 and metrics["split"] == "frozen"


def test_a_specialist_overrides_through_the_api_and_both_levels_stay_visible(client):
    department = make_department()
    specialist = make_user(Role.SPECIALIST, department=department)
    complaint = make_complaint(text="想咨询一下退货流程", by=specialist)
    url = f"/api/complaints/{complaint.tracking_number}/risk-override"
    response = client.post(url, {"level": "high", "reason": "客户是人大代表"}, content_type="application/json",
                           headers=bearer(specialist))
    assert response.status_code == 201, response.content
    assert response.json()["assessed_level"] == "low" and response.json()["by"] == specialist.username
    risk = client.get(f"/api/complaints/{complaint.tracking_number}/risk", headers=bearer(specialist)).json()
    assert risk["risk_level"] == "high" and risk["assessed_level"] == "low"
    assert risk["overrides"][0]["reason"] == "客户是人大代表"
    assert risk["assessments"][0]["policy"].startswith("default ")


def test_an_override_without_reason_is_refused_naming_the_field(client):
    specialist = make_user(Role.SPECIALIST, department=make_department())
    complaint = make_complaint(by=specialist)
    response = client.post(f"/api/complaints/{complaint.tracking_number}/risk-override",
                           {"level": "low", "reason": "  "}, content_type="application/json",
                           headers=bearer(specialist))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    complaint.refresh_from_db()
    assert not complaint.risk_overrides.exists() and complaint.risk_level == complaint.assessed_level


def test_an_agent_may_not_override(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent)
    response = client.post(f"/api/complaints/{complaint.tracking_number}/risk-override",
                           {"level": "low", "reason": "x"}, content_type="application/json", headers=bearer(agent))
    assert response.status_code == 403


def test_the_detail_page_offers_the_override_form_and_records_it(client):
    specialist = make_user(Role.SPECIALIST, department=make_department())
    complaint = make_complaint(text="想咨询一下退货流程", by=specialist)
    client.force_login(specialist)
    page = client.get(f"/complaints/{complaint.tracking_number}/")
    assert b"risk-override" in page.content
    client.post(f"/complaints/{complaint.tracking_number}/risk-override/", {"level": "medium", "reason": "重复来电"})
    page = client.get(f"/complaints/{complaint.tracking_number}/")
    assert "重复来电" in page.content.decode()
    complaint.refresh_from_db()
    assert (complaint.risk_level, complaint.assessed_level) == ("medium", "low")


def test_a_piped_stream_assessed_by_several_processes_keeps_the_input_order(monkeypatch, capsys):
    lines = [json.dumps({"text": f"第{i}次扣款不对" if i % 3 else "已经报警"}, ensure_ascii=False) for i in range(1200)]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    call_command("assess", "--jsonl", "--workers", "2")
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(answers) == 1200
    assert [a["risk_level"] == "high" for a in answers] == [i % 3 == 0 for i in range(1200)]
