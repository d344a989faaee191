from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.lists.views import export, respond
from heli.control.member_forms import DeleteMemberForm, MemberForm
from heli.control.member_lists import MemberList
from heli.control.views.common import attachment, form_page
from heli.core.nostore import no_store
from heli.core.replica import reads_replica
from heli.core.scoping import get_scoped_or_404
from heli.members import sensitive, services
from heli.members.models import Member
from heli.privacy import records


@requires(Right.VIEW)
def member_list(request: HttpRequest) -> HttpResponse:
    return respond(MemberList, request)


@requires(Right.VIEW)
@reads_replica
def member_export(request: HttpRequest) -> HttpResponse:
    """The member list's export under its own address (as linked from older bookmarks)."""
    page = MemberList(request.user, request.GET, request.session)
    return export(page, request, unmasked=request.GET.get("unmasked") == "1")


@requires(Right.VIEW)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(
        Member.objects.select_related("org", "residence_grid", "reported_to", "industry_chain"),
        pk=pk,
    )
    return render(request, "control/member_detail.html", _detail_context(member, None))


def _detail_context(member: Member, revealed: dict | None) -> dict:
    """The member page: the record, its history and the latest check-ins (自报 marked)."""
    check_ins = member.check_ins.select_related("station")[:10]
    return {
        "member": member,
        "history": member.changes.all()[:50],
        "check_ins": check_ins,
        "revealed": revealed,
    }


@requires(Right.VIEW_SENSITIVE)
@require_POST
@no_store
def member_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the ID number and phone in full, once, and audit it."""
    member = get_scoped_or_404(Member, pk=pk)
    revealed = sensitive.reveal(Actor.from_request(request), member)
    return render(request, "control/member_detail.html", _detail_context(member, revealed))


@requires(Right.VIEW_SENSITIVE)
@require_POST
@no_store
def member_pipl_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything heli holds about the member, in full, for their access request (audited)."""
    member = get_scoped_or_404(Member, pk=pk)
    body, filename = records.export(Actor.from_request(request), member)
    return attachment(body, filename)


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
    # The deleted ones first (their partial index), then the scope: SQLite would otherwise walk
    # every member of the scope's organizations to find the few deleted.
    deleted = Member.unscoped.filter(deleted_at__isnull=False).values("pk")
    members = Member.with_deleted.filter(pk__in=deleted).select_related("deleted_by")
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
