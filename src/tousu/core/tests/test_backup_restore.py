"""`tousu backup FILE` and `tousu restore FILE`: a round trip gives back the data as it was at the backup,
and a file that is no backup is refused without changing anything."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tousu.complaints.models import Complaint
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_restores_the_data_as_it_was(tmp_path):
    kept = make_complaint(text="热水壶底座冒烟，要求退款")
    target = tmp_path / "tousu.backup"
    out = StringIO()
    call_command("backup", str(target), stdout=out)
    assert target.stat().st_size > 0 and "bytes" in out.getvalue()
    make_complaint(text="备份之后才登记的投诉")
    Complaint.objects.filter(pk=kept.pk).update(text="被改掉的内容")
    call_command("restore", str(target), "--noinput", stdout=StringIO())
    connection.close()
    assert list(Complaint.objects.values_list("tracking_number", "text")) == [
        (kept.tracking_number, "热水壶底座冒烟，要求退款")]


def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(tmp_path):
    make_complaint()
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    with pytest.raises(CommandError, match="not a Tousu backup"):
        call_command("restore", str(bogus), "--noinput")
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing"), "--noinput")
    assert Complaint.objects.count() == 1


def test_an_interrupted_restore_question_changes_nothing(tmp_path, monkeypatch):
    make_complaint()
    target = tmp_path / "b"
    call_command("backup", str(target), stdout=StringIO())
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(target))
    assert Complaint.objects.count() == 1
