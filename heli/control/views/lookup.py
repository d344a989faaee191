from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.widgets import node_label
from heli.orgs.models import OrgCategory, PartyOrg, Region

LIMIT = 20


@requires(Right.VIEW)
def lookup(request: HttpRequest, kind: str) -> JsonResponse:
    """Search box data for choosing a region or an organization within the user's scope."""
    term = request.GET.get("q", "").strip()
    if kind == "regions":
        queryset = Region.objects.select_related("parent")
        if request.GET.get("kind"):
            queryset = queryset.filter(kind=request.GET["kind"])
    elif kind == "orgs":
        queryset = PartyOrg.objects.select_related("parent")
        if request.GET.get("external") != "1":
            queryset = queryset.exclude(category=OrgCategory.EXTERNAL)
    else:
        raise Http404
    if term:
        queryset = queryset.filter(name__icontains=term)
    results = [
        {"id": obj.pk, "label": node_label(obj)} for obj in queryset.order_by("path")[:LIMIT]
    ]
    return JsonResponse({"results": results})
