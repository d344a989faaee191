"""Pages anyone may open, on a phone, from a QR code."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.audit.services import Actor, client_address
from heli.core import ratelimit
from heli.mobility.checkins import check_in_by_qr
from heli.public.forms import CheckInForm
from heli.stations.models import Station


def _unknown(request: HttpRequest) -> HttpResponse:
    """A token that opens no station: a page for the citizen who scanned it, never the staff
    404 (no menu, no account, nothing about scopes), whoever is logged in on the phone."""
    return render(request, "public/station_unknown.html", status=404)


def _within_limits(request: HttpRequest, station: Station) -> bool:
    return ratelimit.hit_all(
        {
            f"checkin:ip:{client_address(request)}": settings.CHECKIN_LIMIT_PER_ADDRESS,
            f"checkin:station:{station.pk}": settings.CHECKIN_LIMIT_PER_STATION,
        },
        settings.CHECKIN_WINDOW_SECONDS,
    )


def station(request: HttpRequest, token: str) -> HttpResponse:
    """The station's page; its form checks a floating member in (报到)."""
    found = Station.for_public_page(token)
    if found is None:
        return _unknown(request)
    form = CheckInForm(request.POST or None)
    if request.method == "POST":
        if not _within_limits(request, found):
            return render(
                request,
                "public/station.html",
                {"station": found, "form": form, "limited": True},
                status=429,
            )
        if form.is_valid():
            actor = Actor(user=None, ip_address=client_address(request), label="public")
            check_in_by_qr(actor, form.cleaned_data["identity"], found)
            return redirect("public:station_done", token=token)
    return render(request, "public/station.html", {"station": found, "form": form})


def station_done(request: HttpRequest, token: str) -> HttpResponse:
    """The same answer for everybody: whether the person was known is not told here."""
    found = Station.for_public_page(token)
    if found is None:
        return _unknown(request)
    return render(request, "public/station_done.html", {"station": found})
