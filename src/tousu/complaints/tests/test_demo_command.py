import pytest
from django.core.management import call_command

from tousu.accounts.models import User
from tousu.accounts.roles import Role
from tousu.complaints.choices import Channel
from tousu.complaints.models import Complaint

pytestmark = pytest.mark.django_db


def test_demo_loads_users_departments_and_complaints_once(capsys, monkeypatch):
    monkeypatch.setenv("TOUSU_DEMO_PASSWORD", "demo-pass-1")
    call_command("demo")
    out = capsys.readouterr().out
    assert "admin" in out and "demo-pass-1" in out
    assert {u.username: u.role for u in User.objects.all()} == {role.value: role.value for role in Role}
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="admin").check_password("demo-pass-1")
    count = Complaint.objects.count()
    assert count >= 60
    channels = set(Complaint.objects.values_list("channel", flat=True))
    assert channels == set(Channel.values)
    assert Complaint.objects.filter(owner__isnull=True).count() == 0
    call_command("demo")
    assert Complaint.objects.count() == count
