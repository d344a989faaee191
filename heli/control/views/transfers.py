"""Relationship transfers (组织关系转接) for staff: the list, applying for a member, registering
an incoming transfer, the transfer with its history and the steps this user may take, and the
printable introduction letter. Each step is one POST URL that calls one service function."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.lists.views import respond
from heli.control.transfer_forms import ApplyForm, IncomingForm, StepForm
from heli.control.views.common import add_errors
from heli.control.widgets import node_label
from heli.control.work_lists import TransferList
from heli.core.nostore import forbid_storing
from heli.core.params import to_id
from heli.core.scoping import current_scope, get_scoped_or_404
from heli.members.models import Member
from heli.orgs.models import OrgCategory, PartyOrg
from heli.orgs.search import matching
from heli.transfers import rules, services
from heli.transfers.letter import letter_context, may_print, print_id_number
from heli.transfers.models import OPEN_STATUSES, Transfer

LOOKUP_LIMIT = 20


def _transfers():
    return Transfer.objects.select_related("member", "from_org", "to_org")


@requires(Right.VIEW)
def transfer_list(request: HttpRequest) -> HttpResponse:
    return respond(TransferList, request)


@requires(Right.EDIT_MEMBERS)
def transfer_destinations(request: HttpRequest) -> JsonResponse:
    """Search data for the receiving organization: any organization of the zone or of the
    directory outside it (names only), beyond the user's own subtree."""
    orgs = PartyOrg.unscoped.select_related("parent")
    if request.GET.get("external") == "1":
        orgs = orgs.filter(category=OrgCategory.EXTERNAL)
    orgs = matching(orgs, request.GET.get("q", "")).order_by("path")[:LOOKUP_LIMIT]
    results = [{"id": o.pk, "label": node_label(o)} for o in orgs]
    return JsonResponse({"results": results})


def _form_errors(form, exc: Exception) -> None:
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("Your organization does not handle this step."))
    else:
        add_errors(form, exc)


def _form(request: HttpRequest, form, save: Callable[[dict], Transfer], **context) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            transfer = save(form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": transfer})
            return redirect("control:transfer_detail", pk=transfer.pk)
    return render(request, "control/transfer_form.html", {"form": form, **context})


@requires(Right.EDIT_MEMBERS)
def transfer_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply for a member's transfer (the sending side)."""
    member = get_scoped_or_404(Member.objects.select_related("org"), pk=pk)
    actor = Actor.from_request(request)
    under_way = Transfer.unscoped.filter(member=member, status__in=OPEN_STATUSES).first()
    return _form(
        request,
        ApplyForm(request.POST or None),
        lambda data: services.apply(actor, member, data),
        member=member,
        under_way=under_way,
        title=_("Apply for a relationship transfer"),
    )


@requires(Right.EDIT_MEMBERS)
def transfer_incoming_create(request: HttpRequest) -> HttpResponse:
    """Register a transfer into the zone: the letter an organization outside issued."""
    actor = Actor.from_request(request)
    initial = {}
    if to_id(request.GET.get("member")):
        initial["member"] = request.GET["member"]
    return _form(
        request,
        IncomingForm(request.POST or None, initial=initial),
        lambda data: services.register_incoming(actor, data["member"], data),
        title=_("Register an incoming transfer"),
    )


def _fetch(pk: int) -> Transfer:
    return get_scoped_or_404(
        _transfers().select_related("issuing_org", "applied_by", "member__org"), pk=pk
    )


@requires(Right.VIEW)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _fetch(pk)
    chain = []
    if transfer.from_org is not None and not transfer.from_org.is_external:
        orgs = rules.approval_chain(transfer.from_org)[: transfer.approvals_needed]
        chain = [(org, i < transfer.approvals_done) for i, org in enumerate(orgs)]
    return render(
        request,
        "control/transfer_detail.html",
        {
            "transfer": transfer,
            "steps": transfer.steps.select_related("org"),
            "actions": rules.allowed_actions(request.user, transfer),
            "next_approver": rules.approving_org(transfer),
            "chain": chain,
            # The receiving side sees the transfer, not the member's record pages.
            "member_visible": Member.objects.filter(pk=transfer.member_id).exists(),
            "letter": letter_context(transfer),
        },
    )


@requires(Right.VIEW)
def transfer_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The introduction letter in its three parts (存根, 介绍信, 回执): printed with the full ID
    number by the issuing side's people who may see it (audited, never cached), a masked
    preview for everyone else (see transfers.letter)."""
    transfer = _fetch(pk)
    id_number = ""
    if may_print(request.user, current_scope(), transfer):
        id_number = print_id_number(Actor.from_request(request), transfer)
    response = render(
        request,
        "control/transfer_letter.html",
        {"transfer": transfer, **letter_context(transfer, id_number)},
    )
    return forbid_storing(response) if id_number else response


DONE = {
    "approve": gettext_lazy("Approved."),
    "reject": gettext_lazy("Not approved: the applicant has been told why."),
    "cancel": gettext_lazy("The application was withdrawn."),
    "issue": gettext_lazy("The introduction letter was issued."),
    "accept": gettext_lazy("Accepted: the member's relationship has moved."),
    "return": gettext_lazy("The transfer was returned."),
    "note": gettext_lazy("The other side's step was recorded."),
}


def _run(action: str, actor: Actor, transfer: Transfer, data: dict) -> Transfer:
    version = data["version"]
    if action == "approve":
        return services.approve(actor, transfer, version, note=data["note"])
    if action == "reject":
        return services.reject(actor, transfer, data["reason"], version)
    if action == "cancel":
        return services.cancel(actor, transfer, data["reason"], version)
    if action == "issue":
        return services.issue_letter(actor, transfer, version)
    if action == "accept":
        return services.accept(
            actor,
            transfer,
            version,
            receipt_number=data["receipt_number"],
            received_on=data["received_on"],
            note=data["note"],
        )
    if action == "return":
        return services.return_transfer(actor, transfer, data["reason"], version)
    return services.record_note(actor, transfer, data["note"], version)


def _step_view(action: str, right: Right) -> Callable:
    @requires(right)
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        transfer = _fetch(pk)
        form = StepForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The form is out of date. Look at the transfer again."))
            return redirect("control:transfer_detail", pk=transfer.pk)
        try:
            _run(action, Actor.from_request(request), transfer, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Your organization does not handle this step."))
        else:
            messages.success(request, DONE[action])
        return redirect("control:transfer_detail", pk=transfer.pk)

    view.__name__ = view.__qualname__ = f"transfer_{action}"
    return view


transfer_approve = _step_view("approve", Right.APPROVE_TRANSFERS)
transfer_reject = _step_view("reject", Right.APPROVE_TRANSFERS)
transfer_cancel = _step_view("cancel", Right.EDIT_MEMBERS)
transfer_issue = _step_view("issue", Right.APPROVE_TRANSFERS)
transfer_accept = _step_view("accept", Right.APPROVE_TRANSFERS)
transfer_return = _step_view("return", Right.APPROVE_TRANSFERS)
transfer_note = _step_view("note", Right.APPROVE_TRANSFERS)
