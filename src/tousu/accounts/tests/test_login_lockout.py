from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.testing import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests"
START = timezone.make_aware(timezone.datetime(2026, 12, 3, 10, 0))


def _fail(client, username, times, url=LOGIN):
    return [client.post(url, {"username": username, "password": "wrong-guess"}).status_code for _ in range(times)]


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_th_failure_locks_the_login_and_says_until_when(client):
    make_user(username="wang")
    limit = settings.TOUSU_LOGIN_FAILURE_LIMIT
    with time_machine.travel(START, tick=False):
        assert _fail(client, "wang", limit - 1) == [200] * (limit - 1)
        response = client.post(LOGIN, {"username": "wang", "password": "wrong-guess"})
    assert response.status_code == 429
    page = response.content.decode()
    until = timezone.localtime(START + timedelta(minutes=settings.TOUSU_LOGIN_LOCK_MINUTES)).strftime("%H:%M")
    assert "登录失败次数过多" in page and f"锁定至 {until}" in page
    assert 'value="wang"' in page  # the form comes back with the name typed


def test_the_right_password_during_the_lock_is_refused_and_does_not_extend_it(client):
    make_user(username="wang")
    with time_machine.travel(START, tick=False):
        _fail(client, "wang", settings.TOUSU_LOGIN_FAILURE_LIMIT)
    with time_machine.travel(START + timedelta(minutes=settings.TOUSU_LOGIN_LOCK_MINUTES - 1), tick=False):
        response = client.post(LOGIN, {"username": "wang", "password": PASSWORD})
        assert response.status_code == 429
        assert not _logged_in(client)
        until = timezone.localtime(START + timedelta(minutes=settings.TOUSU_LOGIN_LOCK_MINUTES)).strftime("%H:%M")
        assert f"锁定至 {until}" in response.content.decode()


def test_the_lock_lifts_after_the_cool_off(client):
    make_user(username="wang")
    with time_machine.travel(START, tick=False):
        _fail(client, "wang", settings.TOUSU_LOGIN_FAILURE_LIMIT)
    with time_machine.travel(START + timedelta(minutes=settings.TOUSU_LOGIN_LOCK_MINUTES, seconds=1), tick=False):
        response = client.post(LOGIN, {"username": "wang", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _logged_in(client)


def test_a_locked_username_is_locked_from_every_address(client):
    make_user(username="wang")
    for n in range(settings.TOUSU_LOGIN_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "wang", "password": "wrong-guess"}, REMOTE_ADDR=f"10.0.0.{n + 1}")
    response = client.post(LOGIN, {"username": "wang", "password": PASSWORD}, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429 and not _logged_in(client)


def test_one_address_guessing_many_usernames_is_locked(client):
    make_user(username="wang")
    for n in range(settings.TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT):
        client.post(LOGIN, {"username": f"guess{n % 7}-{n}", "password": "wrong-guess"})
    response = client.post(LOGIN, {"username": "wang", "password": PASSWORD})
    assert response.status_code == 429 and not _logged_in(client)
    assert "登录失败次数过多" in response.content.decode()


def test_one_persons_typos_do_not_lock_colleagues_at_the_same_address(client):
    make_user(username="wang")
    make_user(username="li")
    _fail(client, "wang", settings.TOUSU_LOGIN_FAILURE_LIMIT)
    assert client.post(LOGIN, {"username": "wang", "password": PASSWORD}).status_code == 429
    assert client.post(LOGIN, {"username": "li", "password": PASSWORD}).status_code == 302


def test_a_successful_login_clears_the_failures_before_it(client):
    make_user(username="wang")
    limit = settings.TOUSU_LOGIN_FAILURE_LIMIT
    _fail(client, "wang", limit - 1)
    assert client.post(LOGIN, {"username": "wang", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    assert _fail(client, "wang", limit - 1) == [200] * (limit - 1)
    assert client.post(LOGIN, {"username": "wang", "password": PASSWORD}).status_code == 302


def test_the_admin_login_is_locked_too(client):
    admin = make_user(Role.ADMIN, username="boss")
    _fail(client, admin.username, settings.TOUSU_LOGIN_FAILURE_LIMIT, url=ADMIN_LOGIN)
    response = client.post(ADMIN_LOGIN, {"username": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429 and not _logged_in(client)
    page = response.content.decode()
    assert "登录失败次数过多" in page and 'id="login-form"' in page


def test_wrong_api_tokens_answer_alike_touch_no_row_and_lock_no_login(client, django_assert_num_queries):
    """A token is `tsu_<salt>_<hmac(SECRET_KEY, salt)>`: a wrong one is refused before the database is
    asked, so neither the answer nor its timing tells whether a salt exists; and the API's refusals are
    not login failures that could lock a person out of the pages."""
    from tousu.accounts.models import ApiToken, _token_digest

    user = make_user(username="wang")
    real = ApiToken.issue(user)
    forged = [f"tsu_{real.salt}_{'0' * 40}", f"tsu_{'a' * 24}_{'0' * 40}", "tsu_x", "not-a-token"]
    with django_assert_num_queries(0):
        assert all(ApiToken.authenticate(key) is None for key in forged)
    signed_but_unknown = f"tsu_{'b' * 24}_{_token_digest('b' * 24)}"
    answers = {client.get("/api/complaints", headers={"Authorization": f"Bearer {key}"}).content
               for key in [*forged, signed_but_unknown] * 3}
    assert len(answers) == 1 and b"Authorization" in next(iter(answers))
    assert client.post(LOGIN, {"username": "wang", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("forwarded", ["hello", "1.2.3.4, <script>", ""])
def test_a_forged_or_missing_address_neither_breaks_the_login_nor_escapes_the_username_lock(client, settings,
                                                                                              forwarded):
    settings.TOUSU_TRUSTED_PROXIES = 1
    make_user(username="wang")
    for _ in range(settings.TOUSU_LOGIN_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": "wang", "password": "wrong-guess"}, HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code in (200, 429)
    response = client.post(LOGIN, {"username": "wang", "password": PASSWORD}, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 429 and not _logged_in(client)
