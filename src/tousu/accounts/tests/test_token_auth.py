import pytest
from django.core.management import CommandError, call_command

from tousu.accounts.models import ApiToken, forget_tokens
from tousu.testing import make_user

pytestmark = pytest.mark.django_db


def test_token_command_prints_the_same_token_until_rotated(capsys):
    make_user(username="zhang")
    call_command("token", "zhang")
    first = capsys.readouterr().out.strip()
    call_command("token", "zhang")
    assert capsys.readouterr().out.strip() == first
    call_command("token", "zhang", "--rotate")
    rotated = capsys.readouterr().out.strip()
    assert rotated != first
    assert ApiToken.authenticate(first) is None
    assert ApiToken.authenticate(rotated).username == "zhang"


def test_token_command_names_an_unknown_user():
    with pytest.raises(CommandError, match="username"):
        call_command("token", "nobody")


def test_the_database_alone_does_not_hold_the_token():
    user = make_user()
    token = ApiToken.issue(user)
    digest = token.key.rsplit("_", 1)[1]
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values())
    assert digest not in stored
    assert token.key.startswith(f"tsu_{token.salt}_")
    forged = f"tsu_{token.salt}_{'0' * 40}"
    assert ApiToken.authenticate(forged) is None


def test_an_inactive_users_token_stops_working():
    user = make_user()
    key = ApiToken.issue(user).key
    user.is_active = False
    user.save()
    assert ApiToken.authenticate(key) is None


def test_api_rejects_missing_and_wrong_tokens(client):
    assert client.get("/api/complaints").status_code == 401
    response = client.get("/api/complaints", headers={"Authorization": "Bearer tsu_abc_def"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "Authorization"


def test_api_accepts_a_valid_token(client):
    user = make_user()
    response = client.get("/api/complaints", headers={"Authorization": f"Bearer {ApiToken.issue(user).key}"})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_a_token_used_again_within_the_minute_writes_nothing(client):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    user = make_user()
    key = ApiToken.issue(user).key
    client.get("/api/complaints", headers={"Authorization": f"Bearer {key}"})
    first = ApiToken.objects.get(user=user).last_used_at
    with CaptureQueriesContext(connection) as seen:
        client.get("/api/complaints", headers={"Authorization": f"Bearer {key}"})
    assert not [q for q in seen.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert ApiToken.objects.get(user=user).last_used_at == first
    ApiToken.objects.filter(user=user).update(last_used_at=timezone.now() - timedelta(minutes=2))
    forget_tokens()  # read again, as after TOKEN_RECHECK_SECONDS
    client.get("/api/complaints", headers={"Authorization": f"Bearer {key}"})
    assert ApiToken.objects.get(user=user).last_used_at > timezone.now() - timedelta(minutes=1)


def test_a_checked_token_is_not_looked_up_again_within_a_second_but_changes_are_seen_at_once(
        django_assert_num_queries, monkeypatch):
    from tousu.accounts import models

    user = make_user()
    key = ApiToken.issue(user).key
    assert ApiToken.authenticate(key) == user
    with django_assert_num_queries(0):
        assert ApiToken.authenticate(key) == user
    user.is_active = False
    user.save()  # in this process: forgotten at once
    assert ApiToken.authenticate(key) is None
    user.is_active = True
    user.save()
    assert ApiToken.authenticate(key) == user
    # Another process's change (here a bulk update, which sends no signal) is seen after the recheck time.
    ApiToken.objects.filter(user=user).update(salt="rotated")
    assert ApiToken.authenticate(key) == user
    clock = [models.time.monotonic() + models.TOKEN_RECHECK_SECONDS + 0.01]
    monkeypatch.setattr(models.time, "monotonic", lambda: clock[0])
    assert ApiToken.authenticate(key) is None
