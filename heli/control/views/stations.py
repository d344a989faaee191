from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.forms import StationForm
from heli.control.views.common import form_page
from heli.core.scoping import get_scoped_or_404
from heli.core.tree import subtree_q
from heli.orgs.models import TOWN_LEVEL, Region, RegionKind
from heli.stations import poster, services
from heli.stations.models import Station, StationKind


@requires(Right.VIEW)
def station_list(request: HttpRequest) -> HttpResponse:
    stations = Station.objects.select_related("grid", "grid__parent", "org").order_by(
        "kind", "grid__path", "name"
    )
    term = request.GET.get("q", "").strip()
    if term:
        stations = stations.filter(
            Q(name__icontains=term) | Q(address__icontains=term) | Q(grid__name__icontains=term)
        )
    kind = request.GET.get("kind", "")
    if kind in StationKind.values:
        stations = stations.filter(kind=kind)
    towns = list(Region.objects.filter(kind__in=TOWN_LEVEL).order_by("path"))
    town = next((t for t in towns if str(t.pk) == request.GET.get("town")), None)
    if town is not None:
        stations = stations.filter(subtree_q("grid__path", town.path))
    return render(
        request,
        "control/station_list.html",
        {
            "page": paginate(request, stations),
            "kinds": StationKind.choices,
            "towns": towns,
            "town": town,
            "q": term,
            "kind": kind,
            "query": query_without_page(request),
        },
    )


@requires(Right.VIEW)
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_scoped_or_404(
        Station.objects.select_related("grid", "grid__parent", "org"), pk=pk
    )
    url = poster.public_url(station, request)
    return render(
        request,
        "control/station_detail.html",
        {"station": station, "public_url": url, "qr_svg": poster.qr_svg(url, scale=5)},
    )


@requires(Right.EDIT_STATIONS)
def station_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    grid_pk = request.GET.get("grid", "")
    if grid_pk.isdigit():
        grid = Region.objects.filter(pk=grid_pk, kind=RegionKind.GRID).first()
        initial = {"grid": grid.pk} if grid else {}
    return form_page(
        request,
        StationForm(request.POST or None, initial=initial),
        lambda data: services.create_station(Actor.from_request(request), data),
        _to_detail,
        title_object=Station._meta.verbose_name,
    )


@requires(Right.EDIT_STATIONS)
def station_edit(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_scoped_or_404(Station, pk=pk)
    return form_page(
        request,
        StationForm(request.POST or None, instance=station),
        lambda data: services.update_station(Actor.from_request(request), station, data),
        _to_detail,
        object=station,
    )


def _to_detail(station: Station) -> HttpResponse:
    return redirect("control:station_detail", pk=station.pk)


@requires(Right.VIEW)
def station_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 poster page (the browser prints it; PDF and SVG are downloads)."""
    station = get_scoped_or_404(Station.objects.select_related("grid"), pk=pk)
    url = poster.public_url(station, request)
    return render(
        request,
        "control/station_poster.html",
        {"station": station, "public_url": url, "poster_svg": poster.poster_svg(station, url)},
    )


@requires(Right.VIEW)
def station_poster_svg(request: HttpRequest, pk: int) -> HttpResponse:
    return _poster_download(request, pk, poster.poster_svg, "image/svg+xml; charset=utf-8", "svg")


@requires(Right.VIEW)
def station_poster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _poster_download(request, pk, poster.poster_pdf, "application/pdf", "pdf")


def _poster_download(request: HttpRequest, pk: int, draw, content_type: str, ext: str):
    station = get_scoped_or_404(Station, pk=pk)
    response = HttpResponse(
        draw(station, poster.public_url(station, request)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="station-{station.pk}-poster.{ext}"'
    return response
