"""Which policy is in force, as stored versions; parsed once per version and process."""

import time

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tousu.assessments.models import PolicyVersion
from tousu.complaints import events
from tousu.risk import Policy, PolicyError, load_policy_text
from tousu.risk.policy import load_data, parse_policy

_parsed: dict[tuple[int, str], Policy] = {}


def store_policy(name_or_path: str, *, activate: bool = False, by=None) -> PolicyVersion:
    """Store a shipped policy (or a YAML file) as a version, with `extends` resolved so it never changes."""
    data, node, path = load_data(name_or_path)
    policy = parse_policy(data, source=str(path), node=node)
    content = yaml.safe_dump(policy.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    with transaction.atomic():
        version = PolicyVersion.objects.filter(name=policy.name, version=policy.version).first()
        if version is not None and version.content != content:
            raise PolicyError(f"{path}: version {policy.version!r} of {policy.name!r} is already stored with "
                              "different content; give the changed policy a new version")
        if version is None:
            version = PolicyVersion.objects.create(name=policy.name, version=policy.version, content=content,
                                                   created_by=by)
        if activate:
            activate_policy(version, by=by)
    return version


def activate_policy(version: PolicyVersion, *, by=None) -> None:
    """Put a stored version in force, recorded in the audit trail (who, when, which, instead of which)."""
    load_policy_text(version.content, source=str(version))  # refuses a version that no longer validates
    forget_active_policy()
    transaction.on_commit(forget_active_policy)  # also when the activation rolls back or commits later
    with transaction.atomic():
        previous = PolicyVersion.objects.filter(is_active=True).exclude(pk=version.pk).first()
        if previous is not None:
            PolicyVersion.objects.filter(pk=previous.pk).update(is_active=False)
        if PolicyVersion.objects.filter(pk=version.pk, is_active=False).update(is_active=True):
            events.policy_activated(by=by, at=timezone.now(), policy=version.name, version=version.version,
                                    previous=f"{previous.name} {previous.version}" if previous else None)
    version.is_active = True


# Which version is in force, as this process last read it: (when, version, parsed policy). Every intake
# and every clock needs it; reading it once a second instead of several times per complaint saves a query
# each time. A version put in force by another process is seen within RECHECK_SECONDS; each assessment
# stores the version it used, so the switch is exact in the record.
RECHECK_SECONDS = 1.0
_in_force: tuple[float, PolicyVersion, Policy] | None = None


def active_policy() -> tuple[PolicyVersion, Policy]:
    global _in_force
    known = _in_force
    if known is not None and time.monotonic() - known[0] < RECHECK_SECONDS:
        return known[1], known[2]
    # The content (YAML, ~15 kB) is read only when this process has not parsed the version yet.
    version = PolicyVersion.objects.defer("content").filter(is_active=True).first()
    if version is None:
        try:
            version = store_policy(getattr(settings, "TOUSU_POLICY", "default"), activate=True)
        except IntegrityError:  # another process activated one at the same moment
            version = PolicyVersion.objects.get(is_active=True)
    policy = policy_of(version)
    _in_force = (time.monotonic(), version, policy)
    return version, policy


def forget_active_policy() -> None:
    """Read the version in force again on next use (after activating one, or when a test's database was
    rolled back)."""
    global _in_force
    _in_force = None


def policy_of(version: PolicyVersion) -> Policy:
    key = (version.pk, version.sha256)
    policy = _parsed.get(key)
    if policy is None:
        policy = _parsed[key] = load_policy_text(version.content, source=str(version))
    return policy
