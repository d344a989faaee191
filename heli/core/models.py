from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.pinyin import initials


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


class NameInitials(models.Model):
    """A model whose `name` can be found by its pinyin initials (崔桥村第1网格 → "cqcd1wg").

    Every save computes them, so services, forms and factories need not remember to; bulk
    inserts (the demo builder) call `initials` themselves, since bulk_create skips save().
    """

    INITIALS_LENGTH = 150

    name_initials = models.CharField(
        _("name initials"), max_length=INITIALS_LENGTH, blank=True, db_index=True, editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.name_initials = initials(self.name)[: self.INITIALS_LENGTH]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_initials"}
        super().save(*args, **kwargs)
