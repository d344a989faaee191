from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts import locks, passwords, services, twofactor
from heli.accounts.models import User
from heli.accounts.roles import Right, Role, assigns_role_of, lifts_every_lock, manages
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.forms import AccountForm, AccountPasswordForm, AccountRoleForm, OwnPasswordForm
from heli.control.views.common import form_page
from heli.core.scoping import get_scoped_or_404


@requires(Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES)
def account_list(request: HttpRequest) -> HttpResponse:
    """The accounts of the user's subtree: the system administrator edits those it manages, the
    security administrator changes roles (each row links to what the viewer may do)."""
    users = User.in_scope.select_related("org").order_by("username")
    term = request.GET.get("q", "").strip()
    if term:
        users = users.filter(
            Q(username__icontains=term)
            | Q(last_name__icontains=term)
            | Q(org__name__icontains=term)
        )
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.filter(role=role)
    page = paginate(request, users)
    for user in page.object_list:
        user.editable = manages(request.user, user)
        user.role_editable = assigns_role_of(request.user, user)
    return render(
        request,
        "control/account_list.html",
        {
            "page": page,
            "roles": Role.choices,
            "q": term,
            "role": role,
            "query": query_without_page(request),
        },
    )


@requires(Right.MANAGE_ACCOUNTS)
def account_create(request: HttpRequest) -> HttpResponse:
    def save(data: dict) -> User:
        fields = {k: v for k, v in data.items() if k != "new_password"}
        return services.create_account(Actor.from_request(request), fields, data["new_password"])

    form = AccountForm(request.POST or None, manager=request.user)
    return form_page(request, form, save, _to_list, title_object=User._meta.verbose_name)


def _managed(request: HttpRequest, pk: int) -> User:
    """An account the system administrator sees (404 otherwise) and manages (roles.manages:
    403 for an administrator's account or their own)."""
    user = get_scoped_or_404(User.in_scope.all(), pk=pk)
    if not manages(request.user, user):
        raise PermissionDenied
    return user


@requires(Right.MANAGE_ACCOUNTS)
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _managed(request, pk)

    def save(data: dict) -> User:
        return services.update_account(Actor.from_request(request), user, data)

    form = AccountForm(request.POST or None, instance=user, manager=request.user)
    links = [
        {
            "url": reverse("control:account_password", kwargs={"pk": user.pk}),
            "label": _("Set a new password"),
            "testid": "set-password",
        }
    ]
    return form_page(request, form, save, _to_list, object=user, links=links)


@requires(Right.MANAGE_ACCOUNTS)
def account_password(request: HttpRequest, pk: int) -> HttpResponse:
    """A new password for an existing account, set by its administrator (audited)."""
    user = _managed(request, pk)

    def save(data: dict) -> User:
        return services.set_password(Actor.from_request(request), user, data["new_password"])

    form = AccountPasswordForm(request.POST or None, user=user)
    heading = _("New password for %(name)s") % {"name": user.display_name}
    return form_page(request, form, save, _to_list, heading=heading)


@requires(Right.ASSIGN_ROLES)
def account_role(request: HttpRequest, pk: int) -> HttpResponse:
    """The security administrator gives an account its role (never their own: 403)."""
    user = get_scoped_or_404(User.in_scope.all(), pk=pk)
    if not assigns_role_of(request.user, user):
        raise PermissionDenied

    def save(data: dict) -> User:
        return services.set_role(Actor.from_request(request), user, data["role"])

    form = AccountRoleForm(request.POST or None, manager=request.user, initial={"role": user.role})
    heading = _("Role of %(name)s") % {"name": user.display_name}
    actions = []
    if twofactor.device_of(user) is not None and assigns_role_of(request.user, user):
        actions.append(
            {
                "url": reverse("control:account_two_factor_reset", kwargs={"pk": user.pk}),
                "label": _("Reset two-step verification"),
                "confirm": _(
                    "Reset this person's two-step verification (a lost phone, say)? They set "
                    "it up again at their next page."
                ),
                "testid": "reset-two-factor",
            }
        )
    return form_page(request, form, save, _to_list, heading=heading, actions=actions)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Every staff member's own new password (the page every other one sends them to while
    they must change it: heli.accounts.passwords). They stay logged in afterwards."""

    def save(data: dict) -> User:
        user = services.change_own_password(
            Actor.from_request(request), data["old_password"], data["new_password"]
        )
        update_session_auth_hash(request, user)
        return user

    def done(user: User) -> HttpResponse:
        return redirect("control:dashboard")

    form = OwnPasswordForm(request.POST or None, user=request.user)
    intro = passwords.change_reason(request.user)
    return form_page(request, form, save, done, heading=_("Change my password"), intro=intro)


@requires(Right.LIFT_LOCKS)
def account_locks(request: HttpRequest) -> HttpResponse:
    """Current login locks the security administrator may lift; a POST lifts one that belongs
    to no account (a username that is none, or a throttled address): the business of one at
    the zone's top only, so anyone else gets 404 as for another organization's object."""
    if request.method == "POST":
        if not lifts_every_lock(request.user):
            raise Http404
        username = request.POST.get("username", "").strip()
        address = request.POST.get("address", "").strip()
        if not address or (username and User.objects.filter(username=username).exists()):
            raise Http404
        services.unlock(Actor.from_request(request), username=username, address=address)
        messages.success(request, _("Lock lifted."))
        return redirect("control:account_locks")
    return render(
        request, "control/account_locks.html", {"locks": locks.current_locks(request.user)}
    )


@requires(Right.LIFT_LOCKS)
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift an account's login lock at one address (every address when none is given): any
    account of the security administrator's subtree (404 outside)."""
    user = get_scoped_or_404(User.in_scope.all(), pk=pk)
    address = request.POST.get("address", "").strip() or None
    services.unlock(Actor.from_request(request), user=user, address=address)
    messages.success(request, _("Lock lifted."))
    return redirect("control:account_locks")


@requires(Right.ASSIGN_ROLES)
@require_POST
def account_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an account's second factor (a lost phone): the security administrator's, as
    are roles and locks (三权分立: the system administrator, who sets passwords, could
    otherwise take an account over alone); never their own (roles.assigns_role_of)."""
    user = get_scoped_or_404(User.in_scope.all(), pk=pk)
    if not assigns_role_of(request.user, user):
        raise PermissionDenied
    twofactor.reset(Actor.from_request(request), user)
    messages.success(request, _("Two-step verification reset: the person sets it up again."))
    return redirect("control:account_role", pk=user.pk)


def _to_list(user: User) -> HttpResponse:
    return redirect("control:account_list")
