import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tousu.accounts.roles import Capability, Role, Scope, can, reach


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("department manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class RoleChoices(models.TextChoices):
        AGENT = Role.AGENT.value, _("Service agent")
        SPECIALIST = Role.SPECIALIST.value, _("Complaint specialist")
        MANAGER = Role.MANAGER.value, _("Department manager")
        QUALITY = Role.QUALITY.value, _("Quality department")
        LEADER = Role.LEADER.value, _("Senior manager / emergency-team leader")
        ANALYST = Role.ANALYST.value, _("Analyst")
        ADMIN = Role.ADMIN.value, _("Administrator")

    role = models.CharField(_("role"), max_length=20, choices=RoleChoices.choices, default=Role.AGENT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def can(self, capability: Capability) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return can(self.role, capability)

    def reach(self) -> Scope | None:
        """Which complaints this person sees and works on: own, department or all (None: none)."""
        if not self.is_active:
            return None
        if self.is_superuser:
            return Scope.ALL
        return reach(self.role)


def _token_digest(salt: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), salt.encode(), hashlib.sha256).hexdigest()[:40]


class ApiToken(models.Model):
    """A per-user API token.

    The token is `tsu_<salt>_<hmac(SECRET_KEY, salt)>`: the database stores only the salt, so a copy of
    the database alone does not hand out working tokens, yet `tousu token USER` can print it again.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    salt = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.salt[:6]}…)"

    @property
    def key(self) -> str:
        return f"tsu_{self.salt}_{_token_digest(self.salt)}"

    @classmethod
    def issue(cls, user: User, *, rotate: bool = False) -> "ApiToken":
        token = cls.objects.filter(user=user).first()
        if token and not rotate:
            return token
        salt = secrets.token_hex(12)
        if token:
            token.salt = salt
            token.save(update_fields=["salt"])
            return token
        return cls.objects.create(user=user, salt=salt)

    @classmethod
    def authenticate(cls, key: str) -> User | None:
        token = cls.token_for(key)
        return token.user if token is not None else None

    @classmethod
    def token_for(cls, key: str) -> "ApiToken | None":
        """The active user's token this key is, or None."""
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != "tsu":
            return None
        salt, digest = parts[1], parts[2]
        if not hmac.compare_digest(digest, _token_digest(salt)):
            return None
        known = _known_tokens.get(salt)
        if known is not None and time.monotonic() - known[0] < TOKEN_RECHECK_SECONDS:
            return known[1]
        token = cls.objects.select_related("user__department").filter(salt=salt).first()
        if token is None or not token.user.is_active:
            _known_tokens.pop(salt, None)
            return None
        _known_tokens[salt] = (time.monotonic(), token)
        return token

    # "Last used" to the minute is what an administrator needs; writing it on every request would take
    # SQLite's single write lock once more per API call.
    USE_RECORDED_EVERY = timedelta(minutes=1)

    def record_use(self, now: datetime) -> None:
        if self.last_used_at is None or now - self.last_used_at >= self.USE_RECORDED_EVERY:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


# A process asks the database for a token (and its user) at most once a second: under a flood of API
# calls the look-up was about a sixth of a request's CPU. Only keys with a valid signature get here, so
# the memo holds no more entries than there are tokens. Saving or deleting a user or token forgets it at
# once in this process; other processes see a rotated token, a deactivated user or a changed role within
# TOKEN_RECHECK_SECONDS (a bulk `update()` that sends no signal, likewise).
TOKEN_RECHECK_SECONDS = 1.0
_known_tokens: dict[str, tuple[float, ApiToken]] = {}


def forget_tokens(**_kwargs) -> None:
    _known_tokens.clear()


for _model in (User, ApiToken, Department):
    models.signals.post_save.connect(forget_tokens, sender=_model, dispatch_uid=f"forget-tokens-save-{_model.__name__}")
    models.signals.post_delete.connect(forget_tokens, sender=_model,
                                       dispatch_uid=f"forget-tokens-delete-{_model.__name__}")
