"""Stations (阵地): the physical places where the party serves people, each with a QR code."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.orgs.models import PartyOrg, Region


class StationKind(models.TextChoices):
    GRID_STATION = "grid_station", _("Grid party-and-people direct station")
    RED_POST = "red_post", _("Red post home")
    SERVICE_POINT = "service_point", _("Party-and-people service point")
    RED_MAGNET_HOME = "red_magnet_home", _("Red magnetic field home")
    SERVICE_CENTRE = "service_centre", _("Party-and-people service centre")


def new_token() -> str:
    # 128 bits from the OS generator, URL-safe: printed on posters, so it must not be guessable.
    return secrets.token_urlsafe(16)


class Station(models.Model):
    kind = models.CharField(_("type"), max_length=24, choices=StationKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    opening_hours = models.CharField(_("opening hours"), max_length=150, blank=True)
    services = models.TextField(_("services offered"), blank=True, help_text=_("One per line."))
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    grid = models.ForeignKey(
        Region,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="stations",
    )
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("party organization in charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stations",
    )
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.region_in("grid", Region) | scope.org_in("org", PartyOrg)

    @classmethod
    def for_public_page(cls, token: str) -> Station | None:
        """The one unscoped lookup: a poster's token opens its station's public page."""
        found = cls.unscoped.select_related("grid", "org").filter(token=token).order_by()[:1]
        return next(iter(found), None)

    @classmethod
    def for_check_in(cls, token: str) -> Station | None:
        """The station a posted check-in goes to: only what the check-in row and its audit
        entry need (the public page's full row and joins cost a third of a check-in)."""
        found = cls.unscoped.only("id", "name").filter(token=token).order_by()[:1]
        return next(iter(found), None)

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]
