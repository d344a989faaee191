"""Floating party members (流动党员): check-ins at stations (报到) and, for people heli does not
know yet, check-ins waiting for the station's branch to confirm them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.models import Member
from heli.stations.models import Station


class CheckInSource(models.TextChoices):
    QR = "qr", _("QR code")
    STAFF = "staff", _("Recorded by staff")


class CheckIn(models.Model):
    """A member reported at a station. One per member, station and day: a second scan the same
    day is the same check-in (the unique constraint makes that hold under concurrency too)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="check_ins"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="check_ins"
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    source = models.CharField(
        _("source"), max_length=8, choices=CheckInSource.choices, default=CheckInSource.QR
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "station", "day"], name="one_check_in_per_member_station_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.station} {self.day}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Seen by those who see the station, or the member's organization or place."""
        return (
            scope.region_q("station__grid__path")
            | scope.org_q("station__org__path")
            | scope.org_q("member__org__path")
            | scope.region_q("member__residence_grid__path")
        )


class PendingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class PendingCheckIn(models.Model):
    """Someone heli does not know checked in: a pending inflow registration for the station's
    branch to confirm or reject. The identity is kept like a member's: encrypted and masked."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="pending"
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    name = models.CharField(_("name"), max_length=50)
    identity_cipher = models.BinaryField(editable=False)
    identity_digest = models.CharField(max_length=64, editable=False)
    identity_mask = models.CharField(_("ID number or phone"), max_length=18, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=PendingStatus.choices, default=PendingStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("pending check-in")
        verbose_name_plural = _("pending check-ins")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "day", "identity_digest"],
                name="one_pending_check_in_per_person_station_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.station} {self.day}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.region_q("station__grid__path") | scope.org_q("station__org__path")
