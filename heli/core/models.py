from django.db import models


class RateCounter(models.Model):
    """Hits on one rate-limit key in one fixed window (see heli.core.ratelimit)."""

    key = models.CharField(max_length=200)
    slot = models.BigIntegerField(help_text="start of the window, in Unix seconds")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "slot"], name="one_counter_per_key_slot")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.slot}: {self.hits}"
