"""The append-only audit log (审计日志)."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThan
from django.utils.translation import gettext_lazy as _

from heli.audit import describe
from heli.core.lookups import Unindexed
from heli.core.models import AppendOnly, AppendOnlyError, AppendOnlyQuerySet
from heli.core.scoping import Scope, ScopedManager
from heli.core.tree import STEP_WIDTH, next_prefix

# Scopes of the zone and of a town (two levels of paths) read the log in time order.
BROAD_SCOPE_LEVELS = 2


class ScopedAuditManager(ScopedManager.from_queryset(AppendOnlyQuerySet)):
    pass


class AuditEntry(AppendOnly):
    """Who did what to which object, when, from where, and whether it succeeded.

    Written only by `heli.audit.services.record`, called from the service functions that
    change data and from the login signals. Rows are never updated or deleted: the model
    refuses it and database triggers (see migration 0002) refuse it too.

    The entries form a chain (heli.audit.chain): `digest` is the HMAC-SM3, with a key the
    database does not hold, of every other stored field, the id, the time and
    `prev_digest`, the digest of the entry before it in id order.
    """

    seal = None  # the chain's digest instead of a row's own seal

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # No constraint and no cascade: history keeps the id and name of a removed account.
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    success = models.BooleanField(_("success"), default=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_digest = models.CharField(max_length=64, blank=True, editable=False)
    digest = models.CharField(max_length=64, blank=True, editable=False)

    objects = ScopedAuditManager()
    unscoped = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        # The log is read newest first, a page at a time: each filter that narrows it has an
        # index that gives its rows in that order, so a page reads its own rows and stops
        # (no sort of every matching entry): all of it (`at`; a date range is a range of it),
        # by action, by account. Small scopes read their entries by org_path and sort them.
        indexes = [
            models.Index(fields=["action", "at", "id"], name="audit_action_at_id"),
            models.Index(fields=["username", "at", "id"], name="audit_username_at_id"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries are never changed")
        from heli.audit import chain

        # No savepoint of its own: an entry that cannot be written fails the caller's work.
        with transaction.atomic(savepoint=False):
            chain.link(self)  # the id and the predecessor, under the chain's lock
            super().save(*args, **{**kwargs, "force_insert": True})

    def seal_values(self) -> None:
        from heli.audit import chain

        if self.pk is None:
            raise AppendOnlyError("audit entries are appended one by one (services.record)")
        self.digest = chain.digest_of(self)

    @property
    def action_label(self) -> str:
        """The action as a phrase (导出党员名册（完整）), see `heli.audit.describe`."""
        return describe.describe(self)

    @property
    def detail_text(self) -> str:
        """The detail as a sentence; ids become names after `describe.annotate(entries)`."""
        return describe.detail_sentence(self)

    @property
    def org_name(self) -> str:
        """The actor's organization, known after `describe.annotate(entries)`."""
        names = getattr(self, "_names", None)
        return names.org(self.org_path) if names is not None else ""

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        # Entries of actors outside any organization (the system, failed logins of unknown
        # names) belong to the whole zone: users of a top organization see them.
        root = scope.org_path
        if root is None or root == "":
            return scope.org_q("org_path")
        zone_wide = len(root) <= STEP_WIDTH
        # A district's or a town's share of the log is large: its newest entries are found by
        # reading the time index backwards and checking each, not by reading the whole
        # subtree from the org_path index and sorting it (SQLite took that plan, and for the
        # zone's OR sorted the whole log). A smaller subtree holds few entries: its index.
        broad = len(root) <= BROAD_SCOPE_LEVELS * STEP_WIDTH
        path = Unindexed("org_path") if broad else F("org_path")
        condition = Q(GreaterThanOrEqual(path, root)) & Q(LessThan(path, next_prefix(root)))
        return condition | Q(Exact(path, "")) if zone_wide else condition
