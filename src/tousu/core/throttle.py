from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from tousu.core.models import ThrottleBucket


def client_address(request: HttpRequest) -> str:
    """The client's address; X-Forwarded-For is believed only for the configured number of proxies."""
    proxies = settings.TOUSU_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, client: str, *, limit: int, window_seconds: int, now: datetime) -> bool:
    """Count one request; False once `limit` requests fell in the current fixed window."""
    window_start = int(now.timestamp()) // window_seconds * window_seconds
    key = f"{scope}:{client}:{window_start}"
    ends_at = datetime.fromtimestamp(window_start + window_seconds, tz=now.tzinfo)
    with transaction.atomic():
        updated = ThrottleBucket.objects.filter(key=key).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ThrottleBucket.objects.create(key=key, count=1, window_ends_at=ends_at)
            except IntegrityError:
                ThrottleBucket.objects.filter(key=key).update(count=F("count") + 1)
        count = ThrottleBucket.objects.filter(key=key).values_list("count", flat=True).first() or 0
    if count == 1:
        # Old windows are useless; drop them now and then rather than with a separate job.
        ThrottleBucket.objects.filter(window_ends_at__lt=now - timedelta(seconds=window_seconds)).delete()
    return count <= limit
