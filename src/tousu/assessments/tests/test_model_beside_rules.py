import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.learning import forget_activations
from tousu.assessments.models import ModelActivation, RiskAssessment
from tousu.assessments.policies import store_policy
from tousu.complaints.models import Complaint
from tousu.intake.imports import import_file
from tousu.risk import load_policy
from tousu.risk.tests.test_learning import _examples
from tousu.testing import bearer, make_department, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(tmp_path, settings):
    csv_path = tmp_path / "examples.csv"
    texts, labels, risks = _examples()
    lines = ["text,label,risk"] + [f"{t},{lab},{r}" for t, lab, r in zip(texts, labels, risks, strict=True)]
    csv_path.write_text("\n".join(lines), encoding="utf-8")
    settings.TOUSU_MODEL_DIR = tmp_path / "model"
    out = io.StringIO()
    call_command("train", "type", str(csv_path), "--out", str(settings.TOUSU_MODEL_DIR), stdout=out)
    meta = json.loads(out.getvalue())
    # Activated as `tousu model activate` does (tested in test_model_activation): used only once activated.
    ModelActivation.objects.create(version=meta["version"], activated_by=make_user(Role.ADMIN),
                                   activated_at=timezone.now())
    forget_activations()
    return meta


@pytest.fixture
def flag_only(tmp_path):
    path = tmp_path / "flag-only.yaml"
    path.write_text('extends: default\nname: flag-only\nversion: "1"\nmodel: {may_raise: false}\n', encoding="utf-8")
    return store_policy(str(path), activate=True)


def test_a_policy_that_lets_the_model_raise_raises_with_the_models_reason(client, trained):
    agent = make_user(Role.AGENT, department=make_department())
    body = client.post("/api/complaints", {"text": "账单多收了服务费"}, content_type="application/json",
                       headers=bearer(agent)).json()
    assessment = RiskAssessment.objects.get(complaint__tracking_number=body["tracking_number"])
    assert assessment.risk_level == "high" and "model" in assessment.factors
    reason = next(r for r in assessment.reasons if r["rule"] == "model.high_risk")
    # The probability against the policy's threshold, and the strongest n-grams.
    assert reason["value"] >= reason["limit"] == load_policy("default").model.raise_from and reason["matches"]


def test_a_model_that_is_not_activated_is_not_used(client, trained):
    ModelActivation.objects.all().delete()
    forget_activations()
    agent = make_user(Role.AGENT, department=make_department())
    body = client.post("/api/complaints", {"text": "账单多收了服务费"}, content_type="application/json",
                       headers=bearer(agent)).json()
    assessment = RiskAssessment.objects.get(complaint__tracking_number=body["tracking_number"])
    assert assessment.risk_level != "high" and assessment.suggestion == {}


def test_the_model_flags_what_the_rules_missed_and_keeps_the_level(client, trained, flag_only):
    agent = make_user(Role.AGENT, department=make_department())
    body = client.post("/api/complaints", {"text": "账单多收了服务费"}, content_type="application/json",
                       headers=bearer(agent)).json()
    complaint = Complaint.objects.get(tracking_number=body["tracking_number"])
    assessment = RiskAssessment.objects.get(complaint=complaint)
    assert assessment.risk_level != "high" and complaint.risk_level == assessment.risk_level
    assert complaint.possible_high_risk and body["possible_high_risk"] is True
    assert assessment.suggestion["type"] == "billing" and assessment.suggestion["model"] == trained["version"]
    assert assessment.suggestion["high_risk_probability"] > 0.5


def test_when_the_rules_say_high_the_model_adds_no_flag(trained):
    import_file(io.BytesIO("text\n账单多收了服务费，我已经向银保监会投诉\n".encode()), "x.csv", by=None,
                now=timezone.now())
    complaint = Complaint.objects.get()
    assert complaint.risk_level == "high" and not complaint.possible_high_risk
    assert complaint.assessments.get().suggestion["type"] == "billing"


def test_without_a_model_nothing_is_suggested(settings, tmp_path):
    settings.TOUSU_MODEL_DIR = tmp_path / "none"
    import_file(io.BytesIO("text\n快递一直没有送到\n".encode()), "x.csv", by=None, now=timezone.now())
    complaint = Complaint.objects.get()
    assert not complaint.possible_high_risk and complaint.assessments.get().suggestion == {}


def test_it_trains_on_closed_complaints_when_no_csv_is_given(tmp_path, settings):
    from tousu.complaints.choices import Status
    from tousu.testing import make_complaint

    texts, labels, risks = _examples()
    for text, label, risk in zip(texts, labels, risks, strict=True):
        complaint = make_complaint(text=text)
        Complaint.objects.filter(pk=complaint.pk).update(status=Status.CLOSED, complaint_type=label, risk_level=risk)
    make_complaint(text="还没结案的投诉")
    out = io.StringIO()
    call_command("train", "type", "--out", str(tmp_path / "m"), stdout=out)
    meta = json.loads(out.getvalue())
    assert meta["examples"] == len(texts) and meta["labels"] == sorted(set(labels))
    assert meta["high_risk_model"] is True


def test_evaluate_type_prints_the_figures_as_json(trained, tmp_path, settings):
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\n快递一直没有送到,delivery\n客服态度很差,service\n银行擅自扣费,billing\n",
                   encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate", "type", str(dev), "--model", str(settings.TOUSU_MODEL_DIR), "--json", stdout=out)
    metrics = json.loads(out.getvalue())
    assert metrics["n"] == 3 and set(metrics["per_label"]) == {"billing", "delivery", "service"}
    assert 0 <= metrics["macro_f1"] <= 1 and 0 <= metrics["accuracy"] <= 1


def test_flagged_complaints_can_be_listed_on_their_own(client, trained, flag_only):
    agent = make_user(Role.AGENT, department=make_department())
    flagged = client.post("/api/complaints", {"text": "账单多收了服务费"}, content_type="application/json",
                          headers=bearer(agent)).json()["tracking_number"]
    other = client.post("/api/complaints", {"text": "快递一直没有送到"}, content_type="application/json",
                        headers=bearer(agent)).json()["tracking_number"]
    listed = client.get("/api/complaints?possible_high_risk=true", headers=bearer(agent)).json()
    assert [c["tracking_number"] for c in listed["items"]] == [flagged]
    client.force_login(agent)
    page = client.get("/complaints/?flagged=1").content.decode()
    assert flagged in page and other not in page
