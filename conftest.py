import pytest


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Hashing passwords at full strength would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # Each test's database starts afresh: the policy version this process last saw may not exist in it.
    from tousu.assessments.policies import forget_active_policy

    forget_active_policy()
