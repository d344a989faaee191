from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.widgets import member_label, node_label
from heli.members.models import Member
from heli.orgs.models import OrgCategory, PartyOrg, Region
from heli.orgs.search import matching

LIMIT = 20


@requires(Right.VIEW, Right.MANAGE_ACCOUNTS)
def lookup(request: HttpRequest, kind: str) -> JsonResponse:
    """Options of the picker (control.widgets.NodeLookup): regions, organizations or members
    within the user's scope matching what was typed, at most LIMIT of them. The system
    administrator picks an account's organization here and sees nothing else (no VIEW)."""
    if not request.user.can(Right.VIEW) and kind != "orgs":
        raise PermissionDenied
    term = request.GET.get("q", "").strip()
    if kind == "regions":
        queryset = Region.objects.select_related("parent")
        if request.GET.get("kind"):
            queryset = queryset.filter(kind=request.GET["kind"])
    elif kind == "members":
        members = Member.objects.select_related("org").order_by("name", "pk")
        if term:
            members = members.filter(name__icontains=term)
        results = [{"id": m.pk, "label": member_label(m)} for m in members[:LIMIT]]
        return JsonResponse({"results": results})
    elif kind == "orgs":
        queryset = PartyOrg.objects.select_related("parent")
        if request.GET.get("external") != "1":
            queryset = queryset.exclude(category=OrgCategory.EXTERNAL)
    else:
        raise Http404
    nodes = matching(queryset, term).order_by("path")[:LIMIT]
    return JsonResponse({"results": [{"id": n.pk, "label": node_label(n)} for n in nodes]})
