import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core import seal as sealing
from heli.core.history import maintenance
from heli.core.pinyin import initials
from heli.core.scoping import Scope, ScopedManager, UnscopedManager


class AppendOnlyError(RuntimeError):
    """A history row was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    """The querysets of history: no update or delete, and rows inserted in bulk are sealed
    one by one like saved ones."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows are never changed")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows are never deleted")

    def _insert(self, objs, fields, *args, **kwargs):
        # bulk_create's way in (save() goes through AppendOnly._do_insert).
        for obj in objs:
            obj.seal_before_insert(fields)
        return super()._insert(objs, fields, *args, **{**kwargs, "raw": True})


class AppendOnly(models.Model):
    """History that is only ever appended to (audit entries, letter events, transfer steps,
    task events, floating-record events, member changes): a saved row refuses to be saved
    again or deleted, and so do the querysets of the model.

    Every row is sealed as it is inserted (`seal`: HMAC-SM3 with the audit key over its
    content, see heli.core.seal; the audit log chains its entries instead), and
    `heli audit verify` checks the seals."""

    seal = models.CharField(max_length=64, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are never deleted")

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        self.seal_before_insert(fields)
        return super()._do_insert(manager, using, fields, returning_fields, raw=True)

    def seal_before_insert(self, fields) -> None:
        """Give every field the value the insert stores (auto_now_add times included), then
        seal those values; the insert then runs "raw", taking the values as they are, so that
        what is sealed is exactly what is stored."""
        for field in fields:
            setattr(self, field.attname, field.pre_save(self, True))
        self.seal_values()

    def seal_values(self) -> None:
        self.seal = sealing.seal_of(self)


def wipe(model: type[AppendOnly]) -> int:
    """Empty a history table, past the querysets' refusal and, in maintenance, the table's
    triggers (heli.core.history). Only the demo's reset, which builds the whole zone again,
    calls it."""
    with maintenance():
        return models.QuerySet(model).delete()[0]


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


class ScheduledRun(models.Model):
    """One period of one periodic task, claimed by the scheduler that enqueued it (see
    heli.core.schedule): the unique pair makes a second scheduler's insert fail, so a task is
    enqueued once per period however many schedulers run."""

    task = models.CharField(max_length=200)
    period = models.DateTimeField(help_text="start of the period")
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "period"], name="one_run_per_task_period")
        ]

    def __str__(self) -> str:
        return f"{self.task}@{self.period:%Y-%m-%d %H:%M:%S}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large export written by `heli worker` (see heli.core.exportjobs). It belongs to the
    account that asked for it: only that account sees it and downloads the file."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)  # the list exported (a key of the export registry)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    language = models.CharField(max_length=16, default="zh-hans", editable=False)
    # The list's state (filters, search, sort) and, for a number search, its digests.
    params = models.JSONField(default=dict)
    unmasked = models.BooleanField(default=False)
    title = models.CharField(_("title"), max_length=200)
    filename = models.CharField(_("file"), max_length=255)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.filename

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.org_q("org_path")

    @property
    def is_running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def writes_sheet(self) -> bool:
        """A list's workbook (counted in rows); other jobs write a file of another kind (a
        batch of letters) or none (a batch that changes records)."""
        return self.filename.lower().endswith(".xlsx")

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


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
