"""The baselines of the benchmarks: the least a check-in could cost (`baseline`), and the
least a staff page could (`baseline_page`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.utils import timezone

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.orgs.models import Region
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


BASELINE_PAGE = (
    '{% extends "base.html" %}{% block title %}{{ region.name }}{% endblock %}'
    '{% block content %}<div class="page-head"><h1>{{ region.name }}</h1></div>'
    "<p>{{ region.path }}</p>{% endblock %}"
)


@requires(Right.VIEW)
def baseline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The baseline of `heli bench pages`: one indexed primary-key read (a region, through the
    user's scope) rendered with the staff pages' base template, menu and desk counts
    included."""
    region = get_object_or_404(Region.objects, pk=pk)
    template = engines["django"].from_string(BASELINE_PAGE)
    return HttpResponse(template.render({"region": region}, request))
