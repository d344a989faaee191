from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.forms import StationForm
from heli.control.lists.views import respond
from heli.control.structure_lists import StationList
from heli.control.views.common import attachment, form_page
from heli.control.work_lists import parse_ids
from heli.core.params import to_id
from heli.core.scoping import get_scoped_or_404
from heli.orgs.models import Region, RegionKind
from heli.stations import poster, services
from heli.stations.models import Station


@requires(Right.VIEW)
def station_list(request: HttpRequest) -> HttpResponse:
    return respond(StationList, request)


@requires(Right.VIEW)
@require_POST
def station_batch_posters(request: HttpRequest) -> HttpResponse:
    """The QR posters of the ticked stations (a town's, say) in one PDF, one A4 page each."""
    ids = parse_ids(request.POST.getlist("pick"))
    found = Station.objects.filter(pk__in=ids).select_related("grid").order_by("grid__path")
    stations = list(found)
    if not ids:
        messages.error(request, _("Tick the stations whose posters to print first."))
        return redirect("control:station_list")
    if len(stations) != len(ids):
        raise Http404
    body = services.print_posters(Actor.from_request(request), stations, request)
    name = _("Station posters (%(count)s).pdf") % {"count": len(stations)}
    return attachment(body, name, "application/pdf")


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
    grid_pk = to_id(request.GET.get("grid"))
    if grid_pk:
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
