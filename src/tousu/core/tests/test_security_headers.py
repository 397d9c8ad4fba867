"""Outside DEBUG every page carries the security headers, and every form that changes something needs
its CSRF token (the test client is told to check it, as a browser would be)."""

import pytest
from django.test import Client

from tousu.accounts.roles import Role
from tousu.testing import make_complaint, make_user

pytestmark = pytest.mark.django_db


def test_pages_carry_the_security_headers(client, settings):
    assert not settings.DEBUG
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Lax"
    # Served on plain http://127.0.0.1 by default, so cookies are not Secure (login would fail otherwise).
    assert not settings.SESSION_COOKIE_SECURE


def test_a_post_without_its_csrf_token_is_refused():
    agent = make_user(Role.AGENT)
    complaint = make_complaint(by=agent)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    for url in (f"/complaints/{complaint.tracking_number}/contacts/", f"/complaints/{complaint.tracking_number}/",
                "/complaints/new/"):
        assert browser.post(url, {"channel": "phone", "note": "x"}).status_code == 403, url
    assert browser.post("/accounts/login/", {"username": agent.username, "password": "pw-for-tests"}).status_code == 403
