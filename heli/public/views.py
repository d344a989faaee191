"""Pages anyone may open, on a phone, from a QR code."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from heli.stations.models import Station


def station(request: HttpRequest, token: str) -> HttpResponse:
    found = Station.for_public_page(token)
    if found is None:
        raise Http404
    return render(request, "public/station.html", {"station": found})
