"""Reminder letters (督促报到函): an outflow member who has not reported to a party organization
where they now live gets a numbered letter from the organization holding their relationship,
addressed to the inflow side. The letter is sent, reminded when no reply comes, and closes when
the member checks in or the inflow side confirms them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.core.lookups import Unindexed
from heli.core.models import AppendOnly
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.models import Member
from heli.mobility.models import FloatingRecord
from heli.orgs.models import PartyOrg


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("Issued, not sent")
    SENT = "sent", _("Sent, awaiting reply")
    CLOSED = "closed", _("Settled")
    CANCELLED = "cancelled", _("Voided")


OPEN_STATUSES = (LetterStatus.DRAFT, LetterStatus.SENT)

# The only status changes a letter knows (a reminder is an event of a sent letter, no change).
TRANSITIONS: dict[str, frozenset[str]] = {
    LetterStatus.DRAFT: frozenset({LetterStatus.SENT, LetterStatus.CLOSED, LetterStatus.CANCELLED}),
    LetterStatus.SENT: frozenset({LetterStatus.CLOSED, LetterStatus.CANCELLED}),
    LetterStatus.CLOSED: frozenset(),
    LetterStatus.CANCELLED: frozenset(),
}


class CloseReason(models.TextChoices):
    CHECKED_IN = "checked_in", _("The member checked in")
    INFLOW_CONFIRMED = "inflow_confirmed", _("The inflow side confirmed the member")
    RETURNED = "returned", _("The member's return was registered")
    MANUAL = "manual", _("Settled by hand")


class ReminderLetter(models.Model):
    """One letter for one outflow record. Its number is `<organization>督报〔<year>〕<serial>号`
    (GB/T 9704: year in full inside 〔〕, serial without padding), the serial running per
    issuing organization and year and never reused, cancelled letters included."""

    record = models.ForeignKey(
        FloatingRecord, verbose_name=_("floating record"), on_delete=models.PROTECT,
        related_name="letters",
    )  # fmt: skip
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="letters"
    )
    issuing_org = models.ForeignKey(
        PartyOrg, verbose_name=_("issuing organization"), on_delete=models.PROTECT,
        related_name="letters",
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("year"))
    serial = models.PositiveIntegerField(_("serial number"))
    number = models.CharField(_("reminder letter number"), max_length=200)
    addressee = models.CharField(_("addressee"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=LetterStatus.choices, default=LetterStatus.DRAFT
    )
    issued_on = models.DateField(_("dated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    expected_reply_on = models.DateField(_("reply expected by"), null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders"), default=0)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("reason for closing"), max_length=16, choices=CloseReason.choices, blank=True
    )
    close_note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("reminder letter")
        verbose_name_plural = _("reminder letters")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_org", "year", "serial"], name="one_letter_number_per_org_year"
            ),
            models.UniqueConstraint(
                fields=["record"],
                condition=models.Q(status__in=["draft", "sent"]),
                name="one_open_letter_per_record",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expected_reply_on"]),
            # The list newest first (read backwards): a page without sorting every letter.
            models.Index(fields=["issued_on", "id"], name="letter_issued"),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """The issuing organization's subtree and the outflow organization's subtree."""
        if not scope.org_path:  # nothing, or everything
            return scope.org_q("issuing_org__path")
        # Semi-joins on ids, not joins: the records of the outflow organizations by their own
        # index (joined to every floating record, a town's letters took PostgreSQL 48 ms). The
        # letter's keys stay out of SQLite's choice of index (Unindexed): driven by them it
        # gathered and sorted all the letters; the list reads them by (issued_on, id).
        orgs = PartyOrg.unscoped.filter(scope.org_q("path")).values("pk")
        outflow = FloatingRecord.unscoped.filter(outflow_org__in=orgs).values("pk")
        return models.Q(In(Unindexed("issuing_org_id"), orgs)) | models.Q(
            In(Unindexed("record_id"), outflow)
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return (
            self.status == LetterStatus.SENT
            and self.expected_reply_on is not None
            and self.expected_reply_on < (today or timezone.localdate())
        )

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    def days_overdue(self, today: dt.date | None = None) -> int:
        if not self.is_overdue(today):
            return 0
        return ((today or timezone.localdate()) - self.expected_reply_on).days


EVENT_LABELS = {
    "issued": _("Letter issued"),
    "sent": _("Letter sent"),
    "reminded": _("Reminder sent"),
    "closed_checked_in": _("Settled: the member checked in"),
    "closed_inflow_confirmed": _("Settled: the inflow side confirmed the member"),
    "closed_manual": _("Settled by hand"),
    "cancelled": _("Letter voided"),
}


class LetterEvent(AppendOnly):
    """The letter's timeline: one append-only row per change of status (and per reminder),
    written by the services. Read only through a letter fetched in the scope."""

    letter = models.ForeignKey(ReminderLetter, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=LetterStatus.choices)
    kind = models.CharField(max_length=32)
    username = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class LetterCounter(models.Model):
    """The last serial used per issuing organization and year. Services bump it with one
    UPDATE (a row lock held to the end of the transaction), so concurrent issues never share a
    number. Internal: read and written only by `services.allocate_serials`."""

    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="one_letter_counter_per_org_year")
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}: {self.last}"
