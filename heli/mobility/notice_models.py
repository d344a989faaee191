"""Notices (提醒) for the staff of the organization responsible for a floating record: the
lost-contact clock crossed a threshold, a reminder letter's reply is overdue, a member became
due a letter. The periodic tasks (`mobility.tasks`, `letters.tasks`) write them, once per
record per state change (the unique key: kind, record and the day the change is counted
from); the staff read them on their desk and mark them read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.orgs.models import PartyOrg


class NoticeKind(models.TextChoices):
    CONTACT_WARNING = "contact_warning", _("Contact warning")
    CONTACT_LOST = "contact_lost", _("Lost contact")
    CONTACT_LAPSE = "contact_lapse", _("Near six months without contact")
    LETTER_DUE = "letter_due", _("A reminder letter is due")
    LETTER_OVERDUE = "letter_overdue", _("A reminder letter's reply is overdue")


class Notice(models.Model):
    """One notice to one organization's staff about one floating record. `day` is what makes a
    state change: the last contact day the clock counts from, the day the member left, or the
    reply date that passed (a recorded reminder sets a new one). `letter_id` names the letter
    of a letter notice (the letters app sits above this one, so no foreign key)."""

    kind = models.CharField(_("notice"), max_length=16, choices=NoticeKind.choices)
    record = models.ForeignKey(
        "mobility.FloatingRecord", verbose_name=_("floating record"), on_delete=models.PROTECT,
        related_name="notices",
    )  # fmt: skip
    day = models.DateField(_("counted from"))
    org = models.ForeignKey(
        PartyOrg, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    letter_id = models.BigIntegerField(null=True, blank=True)
    letter_number = models.CharField(_("reminder letter number"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("noticed at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("read by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "record", "day"], name="one_notice_per_record_change"
            )
        ]
        indexes = [
            # The desk counts the unread ones of a scope: only they are in this index.
            models.Index(
                fields=["org_path"],
                condition=models.Q(read_at__isnull=True),
                name="notice_unread_org",
            ),
            models.Index(fields=["org_path", "created_at"], name="notice_org_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """The responsible organization's subtree (and the organizations above it)."""
        return scope.org_q("org_path")
