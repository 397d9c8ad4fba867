from django.db import models


class ThrottleBucket(models.Model):
    """Requests counted per client and window in the database, so every web process shares the count."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
