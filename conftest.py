import pytest


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path, monkeypatch):
    # Hashing passwords at full strength would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # Each test's database starts afresh: the policy version this process last saw may not exist in it.
    # Within a test the version in force is read once (and again after an activation), not once a second,
    # so that query counts do not depend on how fast the machine is.
    from tousu.assessments import policies

    policies.forget_active_policy()
    monkeypatch.setattr(policies, "RECHECK_SECONDS", float("inf"))
    # Likewise the API tokens this process has checked (their users may not exist in this database).
    from tousu.accounts.models import forget_tokens

    forget_tokens()
