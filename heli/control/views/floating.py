"""Floating records for staff (流动党员): the list with the lost-contact clock, registration
of an outflow or inflow, the record shared by the three parties (三方共管) with its owners per
duty and its timeline, contacts, the inflow side's confirmation, and return registration."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.floating_forms import ContactForm, DutiesForm, FloatingRecordForm, ReturnForm
from heli.control.floating_lists import FloatingList
from heli.control.lists.views import respond
from heli.control.views.common import form_page, post_action
from heli.core.nostore import no_store
from heli.core.params import to_id
from heli.core.scoping import current_scope, get_scoped_or_404
from heli.letters.models import ReminderLetter
from heli.members.choices import FloatingDirection
from heli.members.models import Member
from heli.mobility import clock, floating
from heli.mobility.models import FloatingRecord, RecordStatus
from heli.orgs.models import PartyOrg
from heli.stations.models import Station


def records():
    """Floating records in the user's scope, with what the pages show."""
    return FloatingRecord.objects.select_related(
        "member__org", "outflow_org", "inflow_org", "industry_chain", "grid", "joined_org"
    )


@requires(Right.VIEW)
def floating_list(request: HttpRequest) -> HttpResponse:
    return respond(FloatingList, request)


@requires(Right.EDIT_MEMBERS)
def floating_create(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(Member.objects.filter(deleted_at__isnull=True), pk=pk)
    initial = {
        "direction": request.GET.get("direction", FloatingDirection.OUT),
        "place": member.floating_place,
        "since": member.floating_since or timezone.localdate(),
        "grid": member.residence_grid_id,
    }
    station_pk = to_id(request.GET.get("station"))
    if station_pk:  # arriving from a confirmed check-in: the station's grid and day
        station = Station.objects.filter(pk=station_pk).first()
        if station is not None:
            initial.update(direction=FloatingDirection.IN, grid=station.grid_id)
    form = FloatingRecordForm(
        request.POST or None, initial=initial, member=member, user_org=request.user.org
    )
    actor = Actor.from_request(request)
    return form_page(
        request,
        form,
        lambda data: floating.register(actor, member, form.service_data()),
        lambda record_: redirect("control:floating_detail", pk=record_.pk),
        heading=_("Register %(name)s as floating") % {"name": member.name},
    )


def _outflow_side(record_: FloatingRecord) -> str:
    """The outflow organization; for an inflow member without one named, the organization
    holding their relationship (outside the zone), else the place they came from."""
    if record_.outflow_org is not None:
        return record_.outflow_org.name
    if record_.direction == FloatingDirection.IN and record_.member.org_id:
        return f"{record_.member.org.name}（{record_.place}）"
    return record_.place


def _parties(record_: FloatingRecord) -> list[dict]:
    """The three parties of 三方共管, each with whether the user belongs to it."""
    scope = current_scope()

    def mine(org: PartyOrg | None) -> bool:
        return org is not None and scope.covers_org(org.path)

    inflow_side = record_.inflow_org or (record_.grid and record_.grid.name)
    return [
        {
            "label": _("Outflow side"),
            "name": _outflow_side(record_),
            "mine": mine(record_.outflow_org),
        },
        {
            "label": _("Inflow side"),
            "name": getattr(inflow_side, "name", inflow_side)
            or record_.other_org_name
            or record_.place,
            "mine": mine(record_.inflow_org)
            or (record_.grid is not None and scope.covers_region(record_.grid.path)),
        },
        {
            "label": _("Industry chain committee"),
            "name": record_.industry_chain.name if record_.industry_chain else "—",
            "mine": mine(record_.industry_chain),
        },
    ]


def _detail_records():
    return records().select_related("liaison", "contact_owner", "education_owner", "services_owner")


def _detail_page(request: HttpRequest, record_: FloatingRecord, phone: str = "") -> HttpResponse:
    # The member's own page only for those who see the member (the inflow side may not).
    member_visible = Member.objects.filter(pk=record_.member_id).exists()
    return render(
        request,
        "control/floating_detail.html",
        {
            "record": record_,
            "state": clock.state_of(record_),
            "days": clock.days_without_contact(record_),
            "parties": _parties(record_),
            "events": floating.timeline(record_),
            "member_visible": member_visible,
            "contact_form": ContactForm(),
            "active": record_.status == RecordStatus.ACTIVE,
            "inflow": record_.direction == FloatingDirection.IN,
            "revealed_phone": phone,
            "letters": ReminderLetter.objects.filter(record=record_).order_by("-pk"),
        },
    )


@requires(Right.VIEW)
def floating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, get_scoped_or_404(_detail_records(), pk=pk))


@requires(Right.VIEW_SENSITIVE)
@require_POST
@no_store
def floating_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact phone in full, once, audited."""
    record_ = get_scoped_or_404(_detail_records(), pk=pk)
    phone = floating.reveal_contact_phone(Actor.from_request(request), record_)
    return _detail_page(request, record_, phone)


def _act(request: HttpRequest, record_: FloatingRecord, action) -> HttpResponse:
    return post_action(request, action, redirect("control:floating_detail", pk=record_.pk))


@requires(Right.EDIT_MEMBERS)
@require_POST
def floating_contact(request: HttpRequest, pk: int) -> HttpResponse:
    record_ = get_scoped_or_404(FloatingRecord, pk=pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the member was contacted."))
        return redirect("control:floating_detail", pk=record_.pk)
    actor = Actor.from_request(request)
    data = form.cleaned_data
    return _act(
        request, record_, lambda: floating.log_contact(actor, record_, data["kind"], data["note"])
    )


@requires(Right.EDIT_MEMBERS)
@require_POST
def floating_confirm_inflow(request: HttpRequest, pk: int) -> HttpResponse:
    """The inflow side confirms it has the member: the branch of the grid they live in, or
    the user's own organization when the grid has none."""
    record_ = get_scoped_or_404(FloatingRecord.objects.select_related("grid"), pk=pk)
    if record_.direction != FloatingDirection.IN:
        messages.error(request, _("Only an inflow record is confirmed by the inflow side."))
        return redirect("control:floating_detail", pk=record_.pk)
    org = floating.inflow_side_org(record_.grid_id, request.user.org)
    actor = Actor.from_request(request)
    return _act(request, record_, lambda: floating.confirm_inflow(actor, record_, org))


@requires(Right.EDIT_MEMBERS)
def floating_duties(request: HttpRequest, pk: int) -> HttpResponse:
    record_ = get_scoped_or_404(
        FloatingRecord.objects.select_related(
            "member", "contact_owner", "education_owner", "services_owner"
        ),
        pk=pk,
    )
    form = DutiesForm(request.POST or None, record=record_, user_org=request.user.org)
    actor = Actor.from_request(request)
    return form_page(
        request,
        form,
        lambda data: floating.assign_duties(actor, record_, form.owners()),
        lambda saved: redirect("control:floating_detail", pk=saved.pk),
        heading=_("Owners per duty: %(name)s") % {"name": record_.member.name},
    )


@requires(Right.EDIT_MEMBERS)
def floating_return(request: HttpRequest, pk: int) -> HttpResponse:
    record_ = get_scoped_or_404(FloatingRecord.objects.select_related("member"), pk=pk)
    form = ReturnForm(request.POST or None, record=record_)
    actor = Actor.from_request(request)
    return form_page(
        request,
        form,
        lambda data: floating.register_return(
            actor, record_, data["ended_on"], card_handed_in=data.get("card_handed_in", False)
        ),
        lambda saved: redirect("control:floating_detail", pk=saved.pk),
        heading=_("Return registration: %(name)s") % {"name": record_.member.name},
    )
