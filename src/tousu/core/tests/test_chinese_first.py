"""Pages speak Simplified Chinese first: a browser asking for English does not switch them; the person's
own choice from the menu does. (The API follows Accept-Language: test_translations.)"""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_a_browser_that_asks_for_english_still_gets_the_chinese_public_page(client):
    page = client.get("/public/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.status_code == 200 and 'lang="zh-hans"' in page.content.decode()


def test_choosing_english_from_the_menu_switches_the_pages(client):
    chosen = client.post("/i18n/setlang/", {"language": "en", "next": "/public/"})
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/public/", headers={"Accept-Language": "zh-CN"})
    assert 'lang="en"' in page.content.decode()

