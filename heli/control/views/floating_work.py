"""Work lists around floating records: the lost-contact list per grid, town and district,
joining a nearby branch (就近归队入列) and temporary branches, and the list's export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.floating_forms import JoinForm, TemporaryBranchForm
from heli.control.floating_lists import FloatingList, LostList
from heli.control.lists.views import export, respond
from heli.control.views.common import add_errors
from heli.control.views.floating import records
from heli.core.params import to_text
from heli.core.scoping import get_scoped_or_404
from heli.members.choices import FloatingDirection
from heli.mobility import floating, nearby
from heli.mobility.models import FloatingRecord


@requires(Right.VIEW)
def floating_lost(request: HttpRequest) -> HttpResponse:
    """失联名单 per district, town and grid (see LostList)."""
    return respond(LostList, request)


@requires(Right.VIEW)
def floating_export(request: HttpRequest) -> HttpResponse:
    """The floating list's export under its own address."""
    return export(FloatingList(request.user, request.GET, request.session), request, unmasked=False)


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
    """Places with three or more inflow members waiting for a branch; form a temporary one
    (forming needs the structure right too: a 403 before the form is read)."""
    if request.method == "POST":
        require(request.user, Right.EDIT_STRUCTURE)
    visible = FloatingRecord.objects.all()
    groups = nearby.same_place_groups(visible)
    place = to_text(request.POST.get("place") or request.GET.get("place", ""))
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
