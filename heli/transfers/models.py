"""Organization relationship transfers (组织关系转接): one `Transfer` per move of a member's
relationship from one organization to another, its append-only history (`TransferStep`), and
the per-year counter that numbers the introduction letters (组织关系介绍信)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.models import AppendOnly
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.models import Member
from heli.mobility.models import FlowRange
from heli.orgs.models import PartyOrg


class TransferStatus(models.TextChoices):
    APPLIED = "applied", _("Awaiting approval")
    APPROVED = "approved", _("Approved, letter not issued")
    IN_TRANSIT = "in_transit", _("In transit")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned by the receiving side")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Not approved")
    CANCELLED = "cancelled", _("Withdrawn")


OPEN_STATUSES = (TransferStatus.APPLIED, TransferStatus.APPROVED, TransferStatus.IN_TRANSIT)


class TransferKind(models.TextChoices):
    WITHIN = "within", _("Within the zone")
    OUT = "out", _("Out of the zone")
    IN = "in", _("Into the zone")


class Transfer(models.Model):
    """One transfer of one member's relationship. Either side may be outside the zone: a
    directory organization (category EXTERNAL) or, when it is not in the directory, a name
    typed by the worker. The member's record moves only when the transfer is accepted."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=TransferKind.choices)
    from_org = models.ForeignKey(
        PartyOrg, verbose_name=_("sending organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="transfers_out",
    )  # fmt: skip
    from_org_name = models.CharField(_("sending organization"), max_length=150)
    to_org = models.ForeignKey(
        PartyOrg, verbose_name=_("receiving organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="transfers_in",
    )  # fmt: skip
    to_org_name = models.CharField(_("receiving organization"), max_length=150)
    to_place = models.CharField(_("place (province/city/county)"), max_length=150, blank=True)
    flow_range = models.CharField(_("range"), max_length=16, choices=FlowRange.choices)
    reason = models.CharField(_("reason for the transfer"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.APPLIED
    )
    approvals_needed = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    approvals_done = models.PositiveSmallIntegerField(_("approvals given"), default=0)
    serial = models.CharField(_("letter number"), max_length=40, null=True, blank=True, unique=True)
    serial_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    serial_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    external_serial = models.CharField(_("letter number of the other side"), max_length=60,
                                       blank=True)  # fmt: skip
    issuing_org = models.ForeignKey(
        PartyOrg, verbose_name=_("issuing organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=60, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    receipt_note = models.CharField(_("receipt note"), max_length=255, blank=True)
    closing_reason = models.CharField(_("reason"), max_length=255, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("relationship transfer")
        verbose_name_plural = _("relationship transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="one_open_transfer_per_member",
            ),
            models.CheckConstraint(
                condition=models.Q(approvals_done__lte=models.F("approvals_needed")),
                name="transfer_approvals_within_needed",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.from_org_name} → {self.to_org_name}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Seen by the sending organization's subtree and the receiving one's."""
        return scope.org_q("from_org__path") | scope.org_q("to_org__path")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sender_is_external(self) -> bool:
        return self.from_org is None or self.from_org.is_external

    @property
    def receiver_is_external(self) -> bool:
        return self.to_org is None or self.to_org.is_external


STEP_LABELS = {
    "apply": _("Applied"),
    "register": _("Letter registered (incoming)"),
    "approve": _("Approved"),
    "reject": _("Not approved"),
    "cancel": _("Withdrawn"),
    "issue": _("Introduction letter issued"),
    "accept": _("Accepted, receipt returned"),
    "return": _("Returned by the receiving side"),
    "expire": _("Expired, returned automatically"),
    "note": _("Step of the other side"),
}


class TransferStep(AppendOnly):
    """One step of a transfer (append-only; written by the services). Steps of an organization
    outside the zone are recorded by the in-zone side and say so (`on_behalf`)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=16)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    org = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    org_name = models.CharField(_("acting organization"), max_length=150, blank=True)
    on_behalf = models.BooleanField(_("recorded on behalf of the other side"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+",
        # No constraint and no SET NULL: a sealed row keeps the id of a removed account.
        on_delete=models.DO_NOTHING, db_constraint=False,
    )  # fmt: skip
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.to_status}"

    @property
    def label(self) -> str:
        return str(STEP_LABELS.get(self.action, self.action))


class LetterCounter(models.Model):
    """The last letter number used in a year. Incremented by an UPDATE (a row lock on
    PostgreSQL, the write lock on SQLite), so concurrent issues never share a number."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
