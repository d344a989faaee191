"""The desk (工作台): what waits for the user, then the figures of *their* place at their level —
the district sees its towns, a town its villages, a village its grids, a grid worker or branch
their grid and branch, never an empty "0 towns" tile."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts.roles import Right
from heli.control import todo
from heli.control.access import paginate, requires
from heli.control.context import home
from heli.control.views.common import region_scope_path, visible_roots
from heli.core.replica import reads_replica
from heli.core.scoping import current_scope
from heli.core.tree import STEP_WIDTH
from heli.mobility import clock
from heli.mobility.models import FloatingRecord, RecordStatus
from heli.orgs.models import Region
from heli.reports import ledgers, tallies
from heli.reports import structure as stats
from heli.reports.floating import figures
from heli.stations.models import Station

SERIOUS_STATES = [s for s in clock.ContactState if s != clock.ContactState.OK]
# The level of a place by the depth of its path: 区 / 镇（街道） / 村（社区） / 网格.
DISTRICT, TOWN, VILLAGE, GRID = 1, 2, 3, 4


def _place(request: HttpRequest) -> Region | None:
    """The region the user's organization governs (None for an organization of no place, such
    as an enterprise branch: it sees its members only)."""
    roots = visible_roots(Region, region_scope_path())
    return roots[0] if len(roots) == 1 else None


@login_required
@reads_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Right.VIEW):
        # The three administrators have no desk (it is member work): their own page instead.
        page = home(request.user)
        if page is None:
            raise PermissionDenied
        return redirect(page)
    place = _place(request)
    level = len(place.path) // STEP_WIDTH if place is not None else 0
    work = figures()  # the floating share among them: its tiles read `work` as `floating`
    context = {
        "todos": todo.kept_todos(request),
        "place": place,
        "level": level,
        "tiers": {"district": DISTRICT, "town": TOWN, "village": VILLAGE, "grid": GRID},
        "floating": work,
        "floating_percent": work.share_percent,
        "work": work,
    }
    if place is not None and level < GRID:
        levels = stats.level_counts()
        children = stats.children_overview(place)
        station_counts, org_counts = stats.station_counts(), stats.org_counts()
        context.update(
            levels=levels,
            missing=stats.grids_missing_branch_or_station().count(),
            station_counts=station_counts,
            org_counts=org_counts,
            children=children,
            chart={
                "stations": [{"name": n, "value": v} for n, v in station_counts if v],
                "orgs": [{"name": n, "value": v} for n, v in org_counts],
                "children": children,
                "floating": {"outflow": work.outflow, "inflow": work.inflow},
            },
        )
    else:
        context.update(_own_place(place))
    return render(request, "control/dashboard.html", context)


def _own_place(place: Region | None) -> dict:
    """A grid's (or a placeless branch's) desk: its three ledgers and its floating members by
    contact state."""
    # The serious states through the (status, last contact) index; in contact is the rest of
    # the active records, whose number the floating tallies keep (the states split them).
    active = FloatingRecord.objects.filter(status=RecordStatus.ACTIVE)
    serious = [(s, active.filter(clock.state_q(s)).count()) for s in SERIOUS_STATES]
    kept = tallies.floating_in_scope(current_scope()).filter(status=RecordStatus.ACTIVE)
    in_contact = tallies.total(kept) - sum(n for _s, n in serious)
    by_state = [(clock.ContactState.OK, in_contact), *serious]
    return {
        "ledger_counts": ledgers.counts_for(place) if place is not None else None,
        "stations_count": Station.objects.count(),
        "chart": {
            "states": [{"name": s.label, "value": n, "key": s.value} for s, n in by_state if n],
        },
        "by_state": by_state,
    }


@requires(Right.VIEW)
def invariant(request: HttpRequest) -> HttpResponse:
    """一网格一支部一阵地: grids that lack a branch or a station."""
    grids = stats.grids_missing_branch_or_station().select_related("parent")
    return render(request, "control/invariant.html", {"page": paginate(request, grids)})
