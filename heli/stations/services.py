"""Changing stations; every change is one transaction with its audit entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import changes
from heli.stations import poster
from heli.stations.models import Station


def _check_grid(data: dict[str, Any]) -> None:
    grid = data.get("grid")
    if grid is not None and not grid.is_grid:
        raise ValidationError({"grid": _("A station must be located in a grid.")})


@transaction.atomic
def create_station(actor: Actor, data: dict[str, Any]) -> Station:
    require(actor.user, Right.EDIT_STATIONS)
    _check_grid(data)
    station = Station(**data)
    station.full_clean(validate_unique=False)
    station.save()
    record(actor, "station.create", station)
    return station


@transaction.atomic
def update_station(actor: Actor, station: Station, data: dict[str, Any]) -> Station:
    require(actor.user, Right.EDIT_STATIONS)
    _check_grid(data)
    station = Station.unscoped.select_for_update().get(pk=station.pk)
    diff = changes.apply(station, data)
    station.save()
    if diff:
        record(actor, "station.update", station, detail=diff)
    return station


def print_posters(actor: Actor, stations: list[Station], request: HttpRequest | None) -> bytes:
    """One PDF with the QR posters of the stations (one A4 page each); the print run is one
    audit entry naming every station."""
    body = poster.posters_pdf([(s, poster.public_url(s, request)) for s in stations])
    record(
        actor,
        "station.posters",
        stations[0] if len(stations) == 1 else None,
        detail={
            "count": len(stations),
            "stations": [{"id": s.pk, "name": s.name} for s in stations],
        },
    )
    return body
