"""The API answers Chinese as UTF-8 characters, not as \\uXXXX escapes."""

import pytest

from tousu.accounts.roles import Role
from tousu.testing import bearer, make_user

pytestmark = pytest.mark.django_db


def test_a_chinese_value_comes_back_unescaped_in_the_response_bytes(client):
    agent = make_user(Role.AGENT)
    response = client.post("/api/complaints", {"text": "热水壶底座冒烟", "product": "电热水壶"},
                           content_type="application/json", headers=bearer(agent))
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "热水壶底座冒烟".encode() in response.content
    assert b"\\u" not in response.content
    assert response.json()["product"] == "电热水壶"


def test_an_error_in_chinese_comes_back_unescaped_too(client):
    agent = make_user(Role.AGENT)
    response = client.post("/api/complaints", {"text": " "}, content_type="application/json",
                           headers={**bearer(agent), "Accept-Language": "zh-hans"})
    assert response.status_code == 422
    reason = response.json()["errors"][0]["reason"]
    assert any("\u4e00" <= character <= "\u9fff" for character in reason), reason
    assert reason.encode() in response.content
