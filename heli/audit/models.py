"""The append-only audit log (审计日志)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.audit import describe
from heli.core.models import AppendOnly, AppendOnlyError
from heli.core.scoping import Scope, ScopedManager
from heli.core.tree import STEP_WIDTH


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries are never changed")

    def delete(self):
        raise AppendOnlyError("audit entries are never deleted")


class ScopedAuditManager(ScopedManager.from_queryset(AuditQuerySet)):
    pass


class AuditEntry(AppendOnly):
    """Who did what to which object, when, from where, and whether it succeeded.

    Written only by `heli.audit.services.record`, called from the service functions that
    change data and from the login signals. Rows are never updated or deleted: the model
    refuses it and database triggers (see migration 0002) refuse it too.
    """

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

    objects = ScopedAuditManager()
    unscoped = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"

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
        zone_wide = scope.org_path is not None and len(scope.org_path) <= STEP_WIDTH
        return scope.org_q("org_path") | (
            models.Q(org_path="") if zone_wide else models.Q(pk__in=[])
        )
