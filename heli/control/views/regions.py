from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.forms import RegionForm
from heli.control.views.common import (
    breadcrumbs,
    form_page,
    region_scope_path,
    visible_roots,
)
from heli.core.replica import reads_replica
from heli.core.scoping import get_scoped_or_404
from heli.orgs import services
from heli.orgs.geo import feature_collection
from heli.orgs.models import OrgLevel, PartyOrg, Region, RegionKind
from heli.reports import ledgers
from heli.reports import structure as stats
from heli.stations.models import Station


@requires(Right.VIEW)
def region_tree(request: HttpRequest) -> HttpResponse:
    roots = visible_roots(Region, region_scope_path())
    if len(roots) == 1:
        return redirect("control:region_detail", pk=roots[0].pk)
    return render(request, "control/region_roots.html", {"roots": roots})


@requires(Right.VIEW)
def region_list(request: HttpRequest) -> HttpResponse:
    regions = Region.objects.select_related("parent").order_by("path")
    term = request.GET.get("q", "").strip()
    if term:
        regions = regions.filter(Q(name__icontains=term) | Q(code__icontains=term))
    kind = request.GET.get("kind", "")
    if kind in RegionKind.values:
        regions = regions.filter(kind=kind)
    return render(
        request,
        "control/region_list.html",
        {
            "page": paginate(request, regions),
            "kinds": RegionKind.choices,
            "q": term,
            "kind": kind,
            "query": query_without_page(request),
        },
    )


@requires(Right.VIEW)
@reads_replica
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    region = get_scoped_or_404(Region.objects.select_related("parent"), pk=pk)
    children = stats.region_children(region)
    own = stats.own_counts(region) if not region.is_grid else {}
    ledger_children = ledgers.counts_by_child_region(region)
    for child in children:
        child.ledgers = ledger_children.get(child.node.path, ledgers.LedgerCounts())
    context = {
        "ledgers": ledgers.counts_for(region),
        "region": region,
        "crumbs": breadcrumbs(region, region_scope_path()),
        "children": children,
        "orgs": PartyOrg.objects.filter(region=region).order_by("path"),
        "stations": Station.objects.filter(grid=region) if region.is_grid else None,
        "map": feature_collection([region] if region.is_grid else [c.node for c in children]),
        # What sits on the region itself has its own row, so the rows add up to the totals.
        "own": own if any(own.values()) else None,
        "totals": {
            key: sum(getattr(c, key) for c in children) + own.get(key, 0)
            for key in ("grids", "branches", "stations")
        },
        "branch": PartyOrg.objects.filter(region=region, level=OrgLevel.BRANCH).first()
        if region.is_grid
        else None,
    }
    return render(request, "control/region_detail.html", context)


@requires(Right.EDIT_STRUCTURE)
def region_create(request: HttpRequest, parent_pk: int) -> HttpResponse:
    parent = get_scoped_or_404(Region, pk=parent_pk)
    return form_page(
        request,
        RegionForm(request.POST or None),
        lambda data: services.create_region(Actor.from_request(request), parent, data),
        _to_detail,
        parent=parent,
        title_object=Region._meta.verbose_name,
    )


@requires(Right.EDIT_STRUCTURE)
def region_edit(request: HttpRequest, pk: int) -> HttpResponse:
    region = get_scoped_or_404(Region, pk=pk)
    movable = region.parent_id is not None and region.path != region_scope_path()

    def save(data: dict) -> Region:
        fields = {k: v for k, v in data.items() if k != "parent"}
        actor = Actor.from_request(request)
        return services.update_region(actor, region, fields, data.get("parent"))

    form = RegionForm(request.POST or None, instance=region, movable=movable)
    return form_page(request, form, save, _to_detail, object=region)


def _to_detail(region: Region) -> HttpResponse:
    return redirect("control:region_detail", pk=region.pk)
