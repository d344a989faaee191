"""Check-ins (报到) for staff: pending check-ins to confirm or reject, recent check-ins, and a
check-in recorded by hand at a station."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.forms import StyledForm, lookup_field
from heli.control.lists.views import respond
from heli.control.member_forms import MemberForm
from heli.control.views.common import back_to_list, form_page, post_action
from heli.control.work_lists import CheckInList, PendingList, parse_ids
from heli.core.freetext import FreeTextForm
from heli.core.nostore import no_store
from heli.core.scoping import get_scoped_or_404
from heli.members import sensitive
from heli.members.models import Member
from heli.mobility import checkins, self_reports
from heli.mobility.models import CheckIn, CheckInSource, PendingCheckIn, PendingStatus
from heli.stations.models import Station


@requires(Right.VIEW)
def check_in_list(request: HttpRequest) -> HttpResponse:
    """Check-ins of people not yet registered, to confirm or reject (in batches too)."""
    return respond(PendingList, request)


@requires(Right.VIEW)
def check_in_history(request: HttpRequest) -> HttpResponse:
    """Every check-in in the user's area, filtered and searched like any list."""
    return respond(CheckInList, request)


def _ticked(request: HttpRequest, model: type = PendingCheckIn) -> list:
    """The ticked rows, each through the scope: one outside it answers 404."""
    ids = parse_ids(request.POST.getlist("pick"))
    found = list(model.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise Http404
    return found


@requires(Right.EDIT_MEMBERS)
@require_POST
def check_in_batch_confirm(request: HttpRequest) -> HttpResponse:
    """Self-reported check-ins confirmed as the members' own: verified contacts from then on."""
    ticked = _ticked(request, CheckIn)

    def confirm() -> str:
        done = self_reports.confirm(Actor.from_request(request), ticked)
        return _("Confirmed %(count)s check-ins.") % {"count": len(done)}

    return post_action(request, confirm, back_to_list(request, "control:check_in_history"))


@requires(Right.EDIT_MEMBERS)
@require_POST
def check_in_batch_reject(request: HttpRequest) -> HttpResponse:
    ticked = _ticked(request, CheckIn)
    reason = request.POST.get("reason", "")

    def reject() -> str:
        count = self_reports.reject(Actor.from_request(request), ticked, reason)
        return _("Rejected %(count)s check-ins.") % {"count": count}

    return post_action(request, reject, back_to_list(request, "control:check_in_history"))


@requires(Right.EDIT_MEMBERS)
@require_POST
def pending_batch_confirm(request: HttpRequest) -> HttpResponse:
    pending = _ticked(request)

    def confirm() -> str:
        done = checkins.confirm_matching(Actor.from_request(request), pending)
        return _("Confirmed %(count)s check-ins.") % {"count": len(done)}

    return post_action(request, confirm, redirect("control:check_in_list"))


@requires(Right.EDIT_MEMBERS)
@require_POST
def pending_batch_reject(request: HttpRequest) -> HttpResponse:
    pending = _ticked(request)
    reason = request.POST.get("reason", "")

    def reject() -> str:
        count = checkins.reject_all(Actor.from_request(request), pending, reason)
        return _("Rejected %(count)s check-ins.") % {"count": count}

    return post_action(request, reject, redirect("control:check_in_list"))


@requires(Right.EDIT_MEMBERS)
@no_store
def pending_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Register the person as a member (the form starts with what they typed) and confirm."""
    pending = get_scoped_or_404(PendingCheckIn.objects.filter(status=PendingStatus.PENDING), pk=pk)
    actor = Actor.from_request(request)
    # Someone scanning a grid station lives or works there: the grid starts as their residence
    # grid (which also keeps them visible to the branch registering them).
    initial = {
        "name": pending.name,
        "status": "floating",
        "floating_direction": "in",
        "residence_grid": pending.station.grid_id,
        "floating_since": pending.day,
    }
    intro = ""
    if not sensitive.can_reveal(request.user):
        # Masked like any number: the person is asked for it again (register_and_confirm
        # checks it is the one they gave).
        intro = _(
            "At the station the person gave %(mask)s: ask them for the number and type it in full."
        ) % {"mask": pending.identity_mask}
    elif request.method == "GET":  # the form shows the number in full: revealed (and audited)
        number = checkins.reveal_pending(actor, pending)
        initial["phone" if len(number) == 11 else "id_number"] = number
    form = MemberForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda data: checkins.register_and_confirm(actor, pending, form.service_data()),
        lambda member: _after_confirm(member, pending),
        title_object=_("member from a pending check-in"),
        intro=intro,
    )


def _after_confirm(member: Member, pending: PendingCheckIn) -> HttpResponse:
    """A person who came from elsewhere goes on to their inflow registration (流入登记),
    started with the station's grid; anyone else to their member record."""
    if member.is_floating and member.floating_direction == "in":
        url = reverse("control:floating_create", kwargs={"pk": member.pk})
        return redirect(f"{url}?direction=in&station={pending.station_id}")
    return redirect("control:member_detail", pk=member.pk)


class RejectForm(FreeTextForm, forms.Form):
    free_text = ("reason",)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=255)


@requires(Right.EDIT_MEMBERS)
@require_POST
def pending_reject(request: HttpRequest, pk: int) -> HttpResponse:
    pending = get_scoped_or_404(PendingCheckIn.objects.filter(status=PendingStatus.PENDING), pk=pk)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the reason for rejecting this check-in."))
        checkins.reject_pending(Actor.from_request(request), pending, form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Rejected the check-in of “%(name)s”.") % {"name": pending.name}
        )
    return redirect("control:check_in_list")


class StaffCheckInForm(StyledForm, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = lookup_field(
            Member.objects.all(), "members", gettext_lazy("member")
        )
        self.style()


@requires(Right.EDIT_MEMBERS)
def station_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a check-in by hand (a member who came in without a phone)."""
    station = get_scoped_or_404(Station, pk=pk)

    def save(data: dict) -> CheckIn:
        check_in, _created = checkins.record_check_in(
            Actor.from_request(request), data["member"], station, source=CheckInSource.STAFF
        )
        return check_in

    return form_page(
        request,
        StaffCheckInForm(request.POST or None),
        save,
        lambda check_in: redirect("control:station_detail", pk=station.pk),
        parent=station,
        title_object=CheckIn._meta.verbose_name,
    )
