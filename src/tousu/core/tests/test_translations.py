import re
from pathlib import Path

import polib
import pytest

from tousu.testing import make_user

PACKAGE = Path(__file__).resolve().parents[2]
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []


def test_every_literal_marked_for_translation_is_in_the_catalogue():
    catalogue = {entry.msgid for entry in polib.pofile(str(PO))}
    literal = re.compile(r"""(?:\b_|gettext|gettext_lazy)\(\s*"((?:[^"\\]|\\.)+)"\s*[,)%]""")
    template_literal = re.compile(r"""\{%\s*translate\s+"([^"]+)"\s*%\}""")
    missing = []
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        missing += [(path.name, m) for m in literal.findall(path.read_text()) if m not in catalogue]
    for path in PACKAGE.rglob("*.html"):
        missing += [(path.name, m) for m in template_literal.findall(path.read_text()) if m not in catalogue]
    assert missing == []


@pytest.mark.django_db
def test_pages_speak_simplified_chinese_first_and_english_on_request(client):
    client.force_login(make_user())
    assert "登记投诉" in client.get("/complaints/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/complaints/"})
    page = client.get("/complaints/").content.decode()
    assert "Record a complaint" in page and "登记投诉" not in page


@pytest.mark.django_db
def test_api_errors_follow_the_accept_language(client):
    from tousu.testing import bearer

    user = make_user()
    zh = client.post("/api/complaints", {"text": ""}, content_type="application/json", headers=bearer(user))
    assert zh.json()["errors"][0]["reason"] == "投诉内容为空"
    en = client.post("/api/complaints", {"text": ""}, content_type="application/json",
                     headers={**bearer(user), "Accept-Language": "en"})
    assert en.json()["errors"][0]["reason"] == "the complaint text is empty"
