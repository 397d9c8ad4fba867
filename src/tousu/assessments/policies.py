"""Which policy is in force, as stored versions; parsed once per version and process."""

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
    with transaction.atomic():
        previous = PolicyVersion.objects.filter(is_active=True).exclude(pk=version.pk).first()
        if previous is not None:
            PolicyVersion.objects.filter(pk=previous.pk).update(is_active=False)
        if PolicyVersion.objects.filter(pk=version.pk, is_active=False).update(is_active=True):
            events.policy_activated(by=by, at=timezone.now(), policy=version.name, version=version.version,
                                    previous=f"{previous.name} {previous.version}" if previous else None)
    version.is_active = True


def active_policy() -> tuple[PolicyVersion, Policy]:
    # The content (YAML, ~15 kB) is read only when this process has not parsed the version yet.
    version = PolicyVersion.objects.defer("content").filter(is_active=True).first()
    if version is None:
        try:
            version = store_policy(getattr(settings, "TOUSU_POLICY", "default"), activate=True)
        except IntegrityError:  # another process activated one at the same moment
            version = PolicyVersion.objects.get(is_active=True)
    return version, policy_of(version)


def policy_of(version: PolicyVersion) -> Policy:
    key = (version.pk, version.sha256)
    policy = _parsed.get(key)
    if policy is None:
        policy = _parsed[key] = load_policy_text(version.content, source=str(version))
    return policy
