"""Work lists around floating records: the lost-contact list per grid, town and district,
joining a nearby branch (就近归队入列) and temporary branches, and the list's export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.floating_forms import JoinForm, TemporaryBranchForm
from heli.control.views.common import add_errors, attachment, region_scope_path, visible_roots
from heli.control.views.floating import filtered_records, records, with_clock
from heli.core.scoping import get_scoped_or_404
from heli.core.tree import counts_by_child, subtree_q
from heli.members.choices import FloatingDirection
from heli.mobility import clock, floating, nearby
from heli.mobility.exporters import FloatingExporter
from heli.mobility.models import FloatingRecord
from heli.orgs.models import Region

SERIOUS = (clock.ContactState.WARNING, clock.ContactState.LOST, clock.ContactState.LAPSE)


def _place(request: HttpRequest) -> Region | None:
    """The region the lost-contact list is about: chosen, or the user's own root region."""
    pk = request.GET.get("region", "")
    if pk.isdigit():
        return get_scoped_or_404(Region, pk=pk)
    roots = visible_roots(Region, region_scope_path())
    return roots[0] if roots else None


def _per_child(place: Region, today) -> list[dict]:
    """Warning, lost and near-six-months counts for each child of the place (one grouped
    query per state)."""
    children = list(place.children.order_by("path"))
    counts = {
        state: counts_by_child(
            FloatingRecord.objects.filter(clock.state_q(state, today)), "grid__path", place.path
        )
        for state in SERIOUS
    }
    rows = [
        {"region": child, **{state.value: counts[state].get(child.path, 0) for state in SERIOUS}}
        for child in children
    ]
    return [r for r in rows if any(r[s.value] for s in SERIOUS)]


@requires(Right.VIEW)
def floating_lost(request: HttpRequest) -> HttpResponse:
    """失联名单: records silent past the warning threshold, under a region, most silent first."""
    today = timezone.localdate()
    place = _place(request)
    state = request.GET.get("state", "")
    wanted = (
        clock.state_q(clock.ContactState(state), today)
        if state in [s.value for s in SERIOUS]
        else clock.lost_q(today)
    )
    silent = records().filter(wanted).order_by("last_contact_at", "since", "pk")
    if place is not None:
        silent = silent.filter(subtree_q("grid__path", place.path))
    page = paginate(request, silent)
    rows = _per_child(place, today) if place is not None else []
    return render(
        request,
        "control/floating_lost.html",
        {
            "place": place,
            "breadcrumbs": list(place.ancestors()) if place is not None else [],
            "page": page,
            "rows": with_clock(page.object_list),
            "children": rows,
            "chart": {
                "names": [r["region"].name for r in rows],
                "series": [
                    {"key": s.value, "name": s.label, "data": [r[s.value] for r in rows]}
                    for s in SERIOUS
                ],
            },
            "state": state,
            "states": [(s.value, s.label) for s in SERIOUS],
            "thresholds": {s.value: clock.threshold(s) for s in SERIOUS},
            "query": query_without_page(request),
        },
    )


@requires(Right.VIEW)
def floating_export(request: HttpRequest) -> HttpResponse:
    exporter = FloatingExporter(filtered_records(request), today=timezone.localdate())
    content = exporter.to_xlsx()
    floating.record_export(Actor.from_request(request), exporter.count)
    return attachment(content, f"{exporter.filename}.xlsx")


@requires(Right.EDIT_MEMBERS)
def floating_nearby(request: HttpRequest, pk: int) -> HttpResponse:
    """Suggested branches for an inflow member, best first; the worker assigns one."""
    record_ = get_scoped_or_404(records(), pk=pk)
    if record_.direction != FloatingDirection.IN:
        raise Http404
    suggestions = nearby.suggest(record_)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = {s.org.pk: s.org for s in suggestions}.get(form.cleaned_data["org"])
        if chosen is None:
            form.add_error(None, _("Choose one of the suggested branches."))
        else:
            try:
                floating.join_branch(
                    Actor.from_request(request), record_, chosen, form.cleaned_data["joined_on"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s joined %(org)s.")
                    % {"name": record_.member.name, "org": chosen.name},
                )
                return redirect("control:floating_detail", pk=record_.pk)
    return render(
        request,
        "control/floating_nearby.html",
        {"record": record_, "suggestions": suggestions, "form": form},
    )


@requires(Right.EDIT_MEMBERS)
def floating_temporary_branch(request: HttpRequest) -> HttpResponse:
    """Places with three or more inflow members waiting for a branch; form a temporary one."""
    visible = FloatingRecord.objects.all()
    groups = nearby.same_place_groups(visible)
    place = request.POST.get("place") or request.GET.get("place", "")
    waiting = list(
        records().filter(nearby.awaiting_branch_q(), place=place).order_by("member__name")
    ) if place else []  # fmt: skip
    initial = {"place": place, "name": _("%(place)s floating members' temporary branch")
               % {"place": place}}  # fmt: skip
    form = TemporaryBranchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            branch = nearby.form_temporary_branch(
                Actor.from_request(request), waiting, data["parent"], data["name"],
                data["joined_on"],
            )  # fmt: skip
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Formed %(name)s with %(n)d members.") % {"name": branch.name, "n": len(waiting)},
            )
            return redirect("control:org_detail", pk=branch.pk)
    return render(
        request,
        "control/floating_temporary_branch.html",
        {
            "groups": groups,
            "place": place,
            "waiting": waiting,
            "form": form,
            "minimum": nearby.TEMPORARY_MINIMUM,
        },
    )
