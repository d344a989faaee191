from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.forms import PartyOrgForm
from heli.control.lists.views import respond
from heli.control.structure_lists import OrgList
from heli.control.views.common import (
    breadcrumbs,
    form_page,
    org_scope_path,
    visible_roots,
)
from heli.core.scoping import get_scoped_or_404
from heli.orgs import services
from heli.orgs.models import OrgCategory, PartyOrg
from heli.reports import structure as stats
from heli.stations.models import Station


def _check_external_right(request: HttpRequest, org: PartyOrg | None, category: str) -> None:
    """Organizations outside the zone are a shared directory: only district admins edit it."""
    touches_external = (org is not None and org.is_external) or category == OrgCategory.EXTERNAL
    if touches_external and not request.user.can(Right.EDIT_EXTERNAL):
        raise PermissionDenied


@requires(Right.VIEW)
def org_tree(request: HttpRequest) -> HttpResponse:
    roots = [r for r in visible_roots(PartyOrg, org_scope_path()) if not r.is_external]
    if len(roots) == 1:
        return redirect("control:org_detail", pk=roots[0].pk)
    return render(request, "control/org_roots.html", {"roots": roots})


@requires(Right.VIEW)
def org_list(request: HttpRequest) -> HttpResponse:
    return respond(OrgList, request)


@requires(Right.VIEW)
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_scoped_or_404(PartyOrg.objects.select_related("parent", "region"), pk=pk)
    children = stats.org_children(org)
    return render(
        request,
        "control/org_detail.html",
        {
            "org": org,
            "crumbs": [] if org.is_external else breadcrumbs(org, org_scope_path()),
            "children": children,
            "stations": Station.objects.filter(org=org).select_related("grid"),
        },
    )


@requires(Right.EDIT_STRUCTURE)
def org_create(request: HttpRequest, parent_pk: int) -> HttpResponse:
    parent = get_scoped_or_404(PartyOrg, pk=parent_pk)
    if parent.is_external:
        raise PermissionDenied
    return form_page(
        request,
        PartyOrgForm(request.POST or None, initial={"region": parent.region_id}),
        lambda data: services.create_org(Actor.from_request(request), parent, data),
        _to_detail,
        parent=parent,
        title_object=PartyOrg._meta.verbose_name,
    )


@requires(Right.EDIT_EXTERNAL)
def external_org_create(request: HttpRequest) -> HttpResponse:
    form = PartyOrgForm(
        request.POST or None, allow_external=True, initial={"category": OrgCategory.EXTERNAL}
    )

    def save(data: dict) -> PartyOrg:
        data = {**data, "category": OrgCategory.EXTERNAL, "region": None}
        return services.create_org(Actor.from_request(request), None, data)

    return form_page(request, form, save, _to_detail, title_object=PartyOrg._meta.verbose_name)


@requires(Right.EDIT_STRUCTURE)
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_scoped_or_404(PartyOrg, pk=pk)
    _check_external_right(request, org, request.POST.get("category", ""))
    movable = not org.is_external and org.parent_id is not None and org.path != org_scope_path()

    def save(data: dict) -> PartyOrg:
        fields = {k: v for k, v in data.items() if k != "parent"}
        return services.update_org(Actor.from_request(request), org, fields, data.get("parent"))

    form = PartyOrgForm(
        request.POST or None, instance=org, movable=movable, allow_external=org.is_external
    )
    return form_page(request, form, save, _to_detail, object=org)


def _to_detail(org: PartyOrg) -> HttpResponse:
    return redirect("control:org_detail", pk=org.pk)
