from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.member_forms import DeleteMemberForm, MemberForm
from heli.control.views.common import attachment, form_page
from heli.core.scoping import get_scoped_or_404
from heli.members import sensitive, services
from heli.members.choices import MemberStatus, Occupation
from heli.members.exporters import export_xlsx
from heli.members.models import Member


def filter_members(request: HttpRequest, members):
    """Search by name, or exactly by ID number or phone through their digests; filters."""
    term = request.GET.get("q", "").strip()
    if term:
        id_digest = sensitive.id_digest_of(term)
        phone_digest = sensitive.phone_digest_of(term)
        if id_digest:
            members = members.filter(id_digest=id_digest)
        elif phone_digest:
            members = members.filter(phone_digest=phone_digest)
        else:
            members = members.filter(Q(name__icontains=term) | Q(employer__icontains=term))
    if request.GET.get("status") in MemberStatus.values:
        members = members.filter(status=request.GET["status"])
    if request.GET.get("occupation") in Occupation.values:
        members = members.filter(occupation=request.GET["occupation"])
    return members


def list_context(request: HttpRequest, members) -> dict:
    return {
        "page": paginate(request, members.select_related("org", "residence_grid")),
        "statuses": MemberStatus.choices,
        "occupations": Occupation.choices,
        "params": request.GET,
        "query": query_without_page(request),
    }


@requires(Right.VIEW)
def member_list(request: HttpRequest) -> HttpResponse:
    members = filter_members(request, Member.objects.all())
    return render(request, "control/member_list.html", list_context(request, members))


def export_response(request: HttpRequest, members, title: str) -> HttpResponse:
    """A masked .xlsx of `members`; unmasked only on request by a role with the right.
    Every export is audited."""
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not sensitive.can_reveal(request.user):
        raise PermissionDenied
    body = export_xlsx(Actor.from_request(request), members, unmasked=unmasked, title=title)
    return attachment(body, "members.xlsx")


@requires(Right.VIEW)
def member_export(request: HttpRequest) -> HttpResponse:
    members = filter_members(request, Member.objects.all())
    return export_response(request, members, _("Party members"))


@requires(Right.VIEW)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(
        Member.objects.select_related("org", "residence_grid", "reported_to", "industry_chain"),
        pk=pk,
    )
    return render(
        request,
        "control/member_detail.html",
        {"member": member, "history": member.changes.all()[:50], "revealed": None},
    )


@requires(Right.VIEW_SENSITIVE)
@require_POST
def member_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the ID number and phone in full, once, and audit it."""
    member = get_scoped_or_404(Member, pk=pk)
    revealed = sensitive.reveal(Actor.from_request(request), member)
    return render(
        request,
        "control/member_detail.html",
        {"member": member, "history": member.changes.all()[:50], "revealed": revealed},
    )


@requires(Right.EDIT_MEMBERS)
def member_create(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.create_member(Actor.from_request(request), form.service_data()),
        _to_detail,
        title_object=Member._meta.verbose_name,
    )


@requires(Right.EDIT_MEMBERS)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(Member, pk=pk)
    form = MemberForm(request.POST or None, instance=member)

    def save(data: dict) -> Member:
        expected = data.get("version") or member.version
        try:
            return services.update_member(
                Actor.from_request(request), member, form.service_data(), expected
            )
        except services.EditConflict as exc:
            raise ValidationError(
                _(
                    "Someone else saved this member while you were editing. Reload the page to "
                    "see their changes, then make yours again."
                )
            ) from exc

    return form_page(request, form, save, _to_detail, object=member)


@requires(Right.EDIT_MEMBERS)
def member_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(Member, pk=pk)
    form = DeleteMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_member(Actor.from_request(request), member, form.cleaned_data["reason"])
        messages.success(request, _("Deleted “%(name)s”.") % {"name": member})
        return redirect("control:member_list")
    return render(request, "control/member_delete.html", {"member": member, "form": form})


@requires(Right.RESTORE_MEMBERS)
def member_deleted_list(request: HttpRequest) -> HttpResponse:
    members = Member.with_deleted.filter(deleted_at__isnull=False).select_related("deleted_by")
    term = request.GET.get("q", "").strip()
    if term:
        members = members.filter(name__icontains=term)
    return render(
        request,
        "control/member_deleted_list.html",
        {
            "page": paginate(request, members.order_by("-deleted_at")),
            "q": term,
            "query": query_without_page(request),
        },
    )


@requires(Right.RESTORE_MEMBERS)
@require_POST
def member_restore(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(Member.with_deleted.filter(deleted_at__isnull=False), pk=pk)
    try:
        services.restore_member(Actor.from_request(request), member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("control:member_deleted_list")
    messages.success(request, _("Restored “%(name)s”.") % {"name": member})
    return redirect("control:member_detail", pk=member.pk)


def _to_detail(member: Member) -> HttpResponse:
    return redirect("control:member_detail", pk=member.pk)
