"""The three ledgers (三本台账) of a village, community or grid."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.views.common import breadcrumbs, region_scope_path
from heli.control.views.members import export_response, filter_members, list_context
from heli.core.scoping import get_scoped_or_404
from heli.members.ledgers import Ledger, counts_for, ledger_members
from heli.orgs.models import Region


def _ledger(pk: int, kind: str) -> tuple[Region, str]:
    if kind not in Ledger.values:
        raise Http404
    return get_scoped_or_404(Region, pk=pk), kind


@requires(Right.VIEW)
def ledger(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    region, kind = _ledger(pk, kind)
    members = filter_members(request, ledger_members(kind, region))
    context = list_context(request, members)
    context.update(
        {
            "region": region,
            "kind": kind,
            "kind_label": Ledger(kind).label,
            "ledgers": Ledger.choices,
            "counts": counts_for(region),
            "crumbs": breadcrumbs(region, region_scope_path()),
        }
    )
    return render(request, "control/ledger.html", context)


@requires(Right.VIEW)
def ledger_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    region, kind = _ledger(pk, kind)
    members = filter_members(request, ledger_members(kind, region))
    return export_response(request, members, f"{region.name}{Ledger(kind).label}")
