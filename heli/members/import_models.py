"""Member import jobs (党员信息导入). One job is one uploaded file on its way through a check
(dry run) and, when every row is valid and a user confirms, a save that adds new members and
updates registered ones (matched by ID number). A background worker
(`heli worker`) runs both phases; pages poll the job's progress fields."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.scoping import Scope, ScopedManager, UnscopedManager


class JobStatus(models.TextChoices):
    QUEUED_CHECK = "queued_check", _("Waiting to be checked")
    # The file's sheet or some of its columns need the user's choice before the check.
    NEEDS_SETUP = "needs_setup", _("Waiting for your choices")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Ready to import")
    INVALID = "invalid", _("Errors found")
    QUEUED_SAVE = "queued_save", _("Waiting to be imported")
    SAVING = "saving", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


# States a worker still has to act on (the page keeps polling while the job is in one of them).
RUNNING = (JobStatus.QUEUED_CHECK, JobStatus.CHECKING, JobStatus.QUEUED_SAVE, JobStatus.SAVING)
QUEUED = (JobStatus.QUEUED_CHECK, JobStatus.QUEUED_SAVE)
FINISHED = (JobStatus.INVALID, JobStatus.DONE, JobStatus.FAILED)


class ImportJob(models.Model):
    """Owned by the uploader's organization: `org_path` is copied from it at upload, so the job
    is visible to that organization's subtree (and its ancestors), like audit entries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Jobs are working records (the audit log keeps who imported what): they go with their
    # account, so removing accounts (the demo's reset) is never blocked by old uploads.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    language = models.CharField(max_length=16, default="zh-hans", editable=False)
    filename = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED_CHECK
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [[row, column, value, message], ...]: the first ERROR_LIMIT problems, row 0 = whole file.
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # Non-blocking findings (hidden rows, a footer, the template's example row), as sentences.
    warnings = models.JSONField(default=list, blank=True)
    # The sheet read (named in every message), and the workbook's data sheets to choose from.
    sheet = models.CharField(max_length=255, blank=True)
    sheets = models.JSONField(default=list, blank=True)
    # The header as the check found it when it needs the user: {"unknown": [[position, header,
    # suggested field or ""], ...], "present": [field, ...], "missing": [required field, ...]};
    # and the user's answers: {normalized header: field key, or "" to ignore the column}.
    header_setup = models.JSONField(default=dict, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    # How many times a worker started this phase: a file that kills its worker twice fails.
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_ip = models.GenericIPAddressField(null=True, blank=True)
    imported_rows = models.PositiveIntegerField(default=0)  # new members saved
    # What a valid file does, as the check found it: rows of new members, rows that update a
    # registered member, rows that match one and change nothing; and the field changes, all
    # counted, the first CHANGE_LIMIT kept as [row, name, masked ID, column, old, new].
    new_rows = models.PositiveIntegerField(default=0)
    update_rows = models.PositiveIntegerField(default=0)
    unchanged_rows = models.PositiveIntegerField(default=0)
    change_count = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Touched by every progress write: a running job whose heartbeat stops belongs to a dead
    # worker and is queued again (see imports.jobs.requeue_stale).
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.filename

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.org_q("org_path")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        # A save is one short transaction whose progress no other connection can see: the
        # bar shows it full (and animated) rather than stuck at 0.
        if self.status in (JobStatus.CHECKED, JobStatus.SAVING, JobStatus.DONE):
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class HeaderMapping(models.Model):
    """A header an organization's rosters use, and the field it means ("" = ignore the
    column): chosen once on an import page, applied to that organization's next imports."""

    org = models.ForeignKey("orgs.PartyOrg", on_delete=models.CASCADE, related_name="+")
    header = models.CharField(max_length=100)  # normalized (columns.normalize_header)
    field = models.CharField(max_length=32, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "header"], name="unique_header_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.header} → {self.field or '-'}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.org_q("org__path")
