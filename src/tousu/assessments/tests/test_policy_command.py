import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tousu.assessments.models import PolicyVersion, RiskAssessment
from tousu.assessments.policies import active_policy
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db

STRICT = "extends: default\nname: strict\nversion: '2'\nmoney: {high_amount: 500}\n"


def _run(*args) -> dict:
    out = io.StringIO()
    call_command("policy", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_diff_lists_the_recent_complaints_a_new_policy_would_change(tmp_path):
    changes = make_complaint(text="要求退款", amount="800")
    make_complaint(text="要求退款", amount="100")
    old = make_complaint(text="要求退款", amount="900", now=timezone.now() - timedelta(days=40),
                         received_at=timezone.now() - timedelta(days=40))
    path = tmp_path / "strict.yaml"
    path.write_text(STRICT, encoding="utf-8")
    stored = RiskAssessment.objects.count()
    report = _run("diff", str(path), "--days", "30")
    assert report["checked"] == 2 and report["changed"] == 1 and report["raised"] == 1
    [change] = report["changes"]
    assert change["tracking_number"] == changes.tracking_number and change["after"] == "high"
    assert change["before"] == changes.assessed_level and "money" in change["factors"]
    assert old.tracking_number not in json.dumps(report)
    assert RiskAssessment.objects.count() == stored and active_policy()[0].name == "default"


def test_a_broken_policy_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("extends: default\nname: bad\nversion: '1'\nmoney:\n  high_amount: lots\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 5"):
        _run("diff", str(path))


def test_activate_stores_a_version_and_refuses_changed_content_under_the_same_version(tmp_path):
    path = tmp_path / "strict.yaml"
    path.write_text(STRICT, encoding="utf-8")
    assert _run("activate", str(path)) == {"active": "strict 2"}
    assert active_policy()[0].name == "strict"
    path.write_text(STRICT.replace("500", "600"), encoding="utf-8")
    with pytest.raises(CommandError, match="new version"):
        _run("activate", str(path))
    assert PolicyVersion.objects.filter(name="strict").count() == 1
