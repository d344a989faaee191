"""Counts of the zone within the active scope (dashboard, tree browser, invariant report)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from heli.core.tree import counts_by_child
from heli.orgs.models import (
    TOWN_LEVEL,
    VILLAGE_LEVEL,
    OrgCategory,
    OrgLevel,
    PartyOrg,
    Region,
    RegionKind,
)
from heli.stations.models import Station, StationKind

# What counts as a party branch everywhere (tiles, trees, charts, exports): the branches of the
# zone, whatever their category; the directory of organizations outside the zone is not ours.
BRANCHES = Q(level=OrgLevel.BRANCH) & ~Q(category=OrgCategory.EXTERNAL)


def level_counts() -> dict[str, int]:
    by_kind = dict(Region.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    return {
        "towns": sum(by_kind.get(k, 0) for k in TOWN_LEVEL),
        "villages": sum(by_kind.get(k, 0) for k in VILLAGE_LEVEL),
        "grids": by_kind.get(RegionKind.GRID, 0),
        "branches": PartyOrg.objects.filter(BRANCHES).count(),
        "stations": Station.objects.count(),
    }


def org_counts() -> list[tuple[str, int]]:
    rows = dict(
        PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL)
        .values_list("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(str(label), rows.get(value, 0)) for value, label in OrgLevel.choices]


def org_category_counts() -> list[tuple[str, int]]:
    rows = dict(PartyOrg.objects.values_list("category").annotate(n=Count("pk")).order_by())
    return [(str(label), rows.get(value, 0)) for value, label in OrgCategory.choices]


def station_counts() -> list[tuple[str, int]]:
    rows = dict(Station.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    return [(str(label), rows.get(value, 0)) for value, label in StationKind.choices]


@dataclass
class ChildCounts:
    node: object
    grids: int = 0
    branches: int = 0
    stations: int = 0
    orgs: int = 0
    ledgers: object = None


def region_children(region: Region) -> list[ChildCounts]:
    children = list(Region.objects.filter(parent=region).order_by("path"))
    grids = counts_by_child(Region.objects.filter(kind=RegionKind.GRID), "path", region.path)
    branches = counts_by_child(PartyOrg.objects.filter(BRANCHES), "region__path", region.path)
    stations = counts_by_child(Station.objects.all(), "grid__path", region.path)
    return [
        ChildCounts(
            node=child,
            grids=grids.get(child.path, 0),
            branches=branches.get(child.path, 0),
            stations=stations.get(child.path, 0),
        )
        for child in children
    ]


def org_children(org: PartyOrg) -> list[ChildCounts]:
    children = list(PartyOrg.objects.filter(parent=org).select_related("region"))
    orgs = counts_by_child(PartyOrg.objects.all(), "path", org.path)
    branches = counts_by_child(PartyOrg.objects.filter(BRANCHES), "path", org.path)
    stations = counts_by_child(Station.objects.all(), "org__path", org.path)
    return [
        ChildCounts(
            node=child,
            orgs=orgs.get(child.path, 0),
            branches=branches.get(child.path, 0),
            stations=stations.get(child.path, 0),
        )
        for child in children
    ]


def grids_missing_branch_or_station() -> QuerySet:
    """Grids that break 一网格一支部一阵地: no party branch or no station of their own."""
    branch = PartyOrg.unscoped.filter(region=OuterRef("pk"), level=OrgLevel.BRANCH)
    station = Station.unscoped.filter(grid=OuterRef("pk"))
    return (
        Region.objects.filter(kind=RegionKind.GRID)
        .annotate(has_branch=Exists(branch), has_station=Exists(station))
        .filter(Q(has_branch=False) | Q(has_station=False))
        .order_by("path")
    )


def own_counts(region: Region) -> dict[str, int]:
    """Grids, branches and stations that sit on the region itself rather than under one of its
    children (a branch serving the whole district): the row that makes per-child tables add up
    to the region's totals."""
    return {
        "grids": Region.objects.filter(kind=RegionKind.GRID, path=region.path).count(),
        "branches": PartyOrg.objects.filter(BRANCHES, region__path=region.path).count(),
        "stations": Station.objects.filter(grid__path=region.path).count(),
    }


def children_overview(region: Region) -> list[dict]:
    """Per child of `region` (towns of the district, villages of a town, grids of a village):
    grids, branches and stations; then, when some sit on the region itself rather than under
    a child (a branch serving the whole district), a row for them, so the rows add up to the
    region's totals."""
    grids = Region.objects.filter(kind=RegionKind.GRID)
    branches = PartyOrg.objects.filter(BRANCHES)
    stations = Station.objects.all()
    per_child = {
        "grids": counts_by_child(grids, "path", region.path),
        "branches": counts_by_child(branches, "region__path", region.path),
        "stations": counts_by_child(stations, "grid__path", region.path),
    }
    rows = [
        {
            "name": child.name,
            "pk": child.pk,
            **{k: per_child[k].get(child.path, 0) for k in per_child},
        }
        for child in Region.objects.filter(parent=region).order_by("path")
    ]
    own = own_counts(region)
    if any(own.values()):
        rows.append(
            {"name": _("Directly under %(name)s") % {"name": region.name}, "pk": None, **own}
        )
    return rows
