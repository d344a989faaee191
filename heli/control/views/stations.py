from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.forms import StationForm
from heli.control.views.tree import run_service, saved_message
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
    form = StationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        station = run_service(
            request,
            form,
            lambda: services.create_station(Actor.from_request(request), form.cleaned_data),
            saved_message(form.cleaned_data["name"]),
        )
        if station is not None:
            return redirect("control:station_detail", pk=station.pk)
    return render(
        request, "control/form.html", {"form": form, "title_object": Station._meta.verbose_name}
    )


@requires(Right.EDIT_STATIONS)
def station_edit(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_scoped_or_404(Station, pk=pk)
    form = StationForm(request.POST or None, instance=station)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            form,
            lambda: services.update_station(
                Actor.from_request(request), station, form.cleaned_data
            ),
            saved_message(station),
        )
        if saved is not None:
            return redirect("control:station_detail", pk=saved.pk)
    return render(request, "control/form.html", {"form": form, "object": station})


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
    station = get_scoped_or_404(Station, pk=pk)
    svg = poster.poster_svg(station, poster.public_url(station, request))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="station-{station.pk}-poster.svg"'
    return response


@requires(Right.VIEW)
def station_poster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_scoped_or_404(Station, pk=pk)
    pdf = poster.poster_pdf(station, poster.public_url(station, request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="station-{station.pk}-poster.pdf"'
    return response
