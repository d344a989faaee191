"""The baseline of the check-in benchmark: the least a check-in could cost."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from heli.stations.models import Station


def baseline(request: HttpRequest, token: str) -> HttpResponse:
    """One indexed read (the station by its poster token, as the station page reads it) and
    one durable insert (a row of Django's session table: a unique key and one more index,
    a table the check-in path does not touch), through the same middleware, workers and
    database connections as the check-in endpoint."""
    station = Station.for_public_page(token)
    if station is None:
        raise Http404
    Session.objects.create(
        session_key=uuid.uuid4().hex,
        session_data=station.token,
        expire_date=timezone.now() + timedelta(minutes=1),
    )
    return HttpResponse("ok", content_type="text/plain")
