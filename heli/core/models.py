from django.db import models


class AppendOnlyError(RuntimeError):
    """A history row was about to be changed or deleted."""


class AppendOnly(models.Model):
    """History that is only ever appended to (audit entries, letter events, transfer steps,
    task events, floating-record events): a saved row refuses to be saved again or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are never deleted")


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
