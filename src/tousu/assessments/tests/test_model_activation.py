"""`tousu model activate`: only a person who may configure, only after an evaluation on unseen rows."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tousu.accounts.roles import Role
from tousu.assessments.learning import active_model, forget_activations
from tousu.assessments.models import ModelActivation
from tousu.testing import make_user

pytestmark = pytest.mark.django_db

TRAIN = [("账单多收了服务费", "high"), ("银行乱扣年费", "high"), ("催收打电话给我父母", "high"),
         ("利息太高超过国家规定", "high"), ("未经同意开通会员扣费", "high"), ("请问怎么还款", "low"),
         ("想咨询一下额度", "low"), ("客服态度一般", "medium"), ("app登录不了", "medium"), ("快递慢了两天", "medium")]
HELD_OUT = [("莫名其妙扣了会员费", "high"), ("请问如何办理分期", "low"), ("电话一直打不通", "medium")]


def _csv(path, rows):
    path.write_text("text,risk\n" + "\n".join(f"{t},{r}" for t, r in rows), encoding="utf-8")
    return path


@pytest.fixture
def model_dir(tmp_path, settings):
    settings.TOUSU_MODEL_DIR = tmp_path / "model"
    call_command("train", "risk", str(_csv(tmp_path / "train.csv", TRAIN)), "--out", str(settings.TOUSU_MODEL_DIR),
                 stdout=io.StringIO())
    forget_activations()
    return settings.TOUSU_MODEL_DIR


def test_a_trained_model_waits_for_activation(model_dir):
    assert active_model() is None
    out = io.StringIO()
    call_command("model", "status", stdout=out)
    assert json.loads(out.getvalue())["activated"] is False


def test_an_administrator_activates_it_after_an_evaluation_on_unseen_rows(model_dir, tmp_path):
    admin = make_user(Role.ADMIN, username="chief")
    out = io.StringIO()
    call_command("model", "activate", str(_csv(tmp_path / "held.csv", HELD_OUT)), "--user", "chief", stdout=out)
    report = json.loads(out.getvalue())
    assert report["evaluation"]["rows"] == 3 and "rules_and_model" in report["evaluation"]
    activation = ModelActivation.objects.get()
    assert activation.activated_by == admin and activation.evaluation["rows"] == 3
    assert active_model() is not None


def test_rows_the_model_was_trained_on_are_no_evaluation(model_dir, tmp_path):
    make_user(Role.ADMIN, username="chief")
    with pytest.raises(CommandError, match="used to train"):
        call_command("model", "activate", str(_csv(tmp_path / "again.csv", TRAIN[:3] + HELD_OUT)), "--user", "chief")
    assert not ModelActivation.objects.exists()


def test_someone_who_may_not_configure_cannot_activate(model_dir, tmp_path):
    make_user(Role.SPECIALIST, username="li")
    with pytest.raises(CommandError, match="may not configure"):
        call_command("model", "activate", str(_csv(tmp_path / "held.csv", HELD_OUT)), "--user", "li")
    assert not ModelActivation.objects.exists()
