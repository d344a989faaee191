from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from heli.accounts.roles import Right
from heli.control.access import paginate, requires
from heli.members import ledgers
from heli.mobility.figures import figures
from heli.orgs import stats


@requires(Right.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    levels = stats.level_counts()
    floating = ledgers.floating_share()
    stations = stats.station_counts()
    orgs = stats.org_counts()
    chart = {
        "levels": [{"key": key, "value": value} for key, value in levels.items()],
        "stations": [{"name": n, "value": v} for n, v in stations],
        "towns": stats.towns_overview(),
        "orgs": [{"name": n, "value": v} for n, v in orgs],
        "floating": {"outflow": floating.outflow, "inflow": floating.inflow},
    }
    return render(
        request,
        "control/dashboard.html",
        {
            "levels": levels,
            "station_counts": stations,
            "org_counts": orgs,
            "chart": chart,
            "missing": stats.grids_missing_branch_or_station().count(),
            "floating": floating,
            "floating_percent": round(floating.share * 100, 1),
            "work": figures(),
        },
    )


@requires(Right.VIEW)
def invariant(request: HttpRequest) -> HttpResponse:
    """一网格一支部一阵地: grids that lack a branch or a station."""
    grids = stats.grids_missing_branch_or_station().select_related("parent")
    return render(request, "control/invariant.html", {"page": paginate(request, grids)})
