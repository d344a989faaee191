"""Data of the tree picker on list filters: the roots the user sees, a node's children, or
nodes found by name — always inside the user's scope."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404, HttpRequest, JsonResponse

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.views.common import org_scope_path, region_scope_path, visible_roots
from heli.control.widgets import node_label
from heli.core.params import to_id
from heli.orgs import search
from heli.orgs.models import OrgCategory, PartyOrg, Region

LIMIT = 50
TREES = {"regions": (Region, region_scope_path), "orgs": (PartyOrg, org_scope_path)}


@requires(Right.VIEW)
def tree_nodes(request: HttpRequest, kind: str) -> JsonResponse:
    if kind not in TREES:
        raise Http404
    model, scope_path = TREES[kind]
    nodes = model.objects.select_related("parent")
    if model is PartyOrg:
        nodes = nodes.exclude(category=OrgCategory.EXTERNAL)
    parent = to_id(request.GET.get("parent"))
    term = request.GET.get("q", "").strip()[:50]
    if parent:
        found = list(nodes.filter(parent_id=parent).order_by("path")[:LIMIT])
    elif term:
        found = list(search.matching(nodes, term).order_by("path")[:LIMIT])
    else:
        roots = visible_roots(model, scope_path())
        found = [n for n in roots if getattr(n, "category", "") != OrgCategory.EXTERNAL]
    with_children = set(
        model.objects.filter(parent__in=[n.pk for n in found])
        .values_list("parent_id")
        .annotate(n=Count("pk"))
        .values_list("parent_id", flat=True)
    )
    results = [
        {
            "id": n.pk,
            "name": n.name,
            "label": node_label(n) if term else n.name,
            "has_children": n.pk in with_children,
        }
        for n in found
    ]
    return JsonResponse({"results": results})
