"""The three ledgers (三本台账) of a village, community or grid."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.lists.views import export, respond
from heli.control.member_lists import LedgerList
from heli.control.views.common import breadcrumbs, region_scope_path
from heli.core.replica import reads_replica
from heli.core.scoping import get_scoped_or_404
from heli.members.ledgers import Ledger
from heli.orgs.models import Region
from heli.reports.ledgers import counts_for


def _ledger(pk: int, kind: str) -> dict:
    if kind not in Ledger.values:
        raise Http404
    return {"region": get_scoped_or_404(Region, pk=pk), "kind": kind}


@requires(Right.VIEW)
@reads_replica
def ledger(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    place = _ledger(pk, kind)
    region = place["region"]
    counts = counts_for(region)
    return respond(
        LedgerList,
        request,
        {**place, "counts": counts},  # the list's total is one of them: counted once
        kind_label=Ledger(kind).label,
        ledgers=Ledger.choices,
        counts=counts,
        crumbs=breadcrumbs(region, region_scope_path()),
    )


@requires(Right.VIEW)
@reads_replica
def ledger_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    page = LedgerList(request.user, request.GET, request.session, **_ledger(pk, kind))
    return export(page, request, unmasked=request.GET.get("unmasked") == "1")
