"""Pages anyone may open, on a phone, from a QR code."""

from __future__ import annotations

import time

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


def _limited(request: HttpRequest, token: str, form: CheckInForm) -> HttpResponse:
    return _shown_again(request, token, form, status=429)


def station(request: HttpRequest, token: str) -> HttpResponse:
    """The station's page; its form checks a floating member in (报到).

    Every attempt counts toward its address's limit, but only accepted ones toward the
    station's: refused requests from one address must not close the station for everybody."""
    if request.method == "POST":
        return _post_check_in(request, token)
    found = Station.for_public_page(token)
    if found is None:
        return _unknown(request)
    return render(request, "public/station.html", {"station": found, "form": CheckInForm()})


def _post_check_in(request: HttpRequest, token: str) -> HttpResponse:
    # An accepted check-in reads only the station's id and name; a page shown again (a
    # refusal) reads the station's full row for it.
    found = Station.for_check_in(token)
    if found is None:
        return _unknown(request)
    form = CheckInForm(request.POST)
    window, now = settings.CHECKIN_WINDOW_SECONDS, time.time()
    address = f"checkin:ip:{client_address(request)}"
    if not form.is_valid():
        if not ratelimit.hit(address, settings.CHECKIN_LIMIT_PER_ADDRESS, window, now=now):
            return _limited(request, token, form)
        return _shown_again(request, token, form)
    # One statement for both counters on the way of every accepted check-in.
    station_key = f"checkin:station:{found.pk}"
    within = ratelimit.within_each(
        {
            address: settings.CHECKIN_LIMIT_PER_ADDRESS,
            station_key: settings.CHECKIN_LIMIT_PER_STATION,
        },
        window,
        now=now,
    )
    if not within[address]:
        ratelimit.take_back(station_key, window, now=now)  # refused: not the station's
        return _limited(request, token, form)
    if not within[station_key]:
        return _limited(request, token, form)
    actor = Actor(user=None, ip_address=client_address(request), label="public")
    check_in_by_qr(actor, form.cleaned_data["identity"], found)
    return redirect("public:station_done", token=token)


def _shown_again(
    request: HttpRequest, token: str, form: CheckInForm, status: int = 200
) -> HttpResponse:
    """The form again, with its errors or the limit's message (429)."""
    found = Station.for_public_page(token)
    if found is None:  # deleted between the two reads
        return _unknown(request)
    context = {"station": found, "form": form, "limited": status == 429}
    return render(request, "public/station.html", context, status=status)


def station_done(request: HttpRequest, token: str) -> HttpResponse:
    """The same answer for everybody: whether the person was known is not told here."""
    found = Station.for_public_page(token)
    if found is None:
        return _unknown(request)
    return render(request, "public/station_done.html", {"station": found})
