from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from heli.accounts import services
from heli.accounts.models import User
from heli.accounts.roles import Right, Role, assignable_roles
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.forms import AccountForm
from heli.control.views.tree import run_service, saved_message
from heli.core.scoping import get_scoped_or_404


@requires(Right.MANAGE_ACCOUNTS)
def account_list(request: HttpRequest) -> HttpResponse:
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
    return render(
        request,
        "control/account_list.html",
        {
            "page": paginate(request, users),
            "roles": Role.choices,
            "q": term,
            "role": role,
            "query": query_without_page(request),
        },
    )


@requires(Right.MANAGE_ACCOUNTS)
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "new_password"}
        user = run_service(
            request,
            form,
            lambda: services.create_account(
                Actor.from_request(request), data, form.cleaned_data["new_password"]
            ),
            saved_message(data["username"]),
        )
        if user is not None:
            return redirect("control:account_list")
    return render(
        request, "control/form.html", {"form": form, "title_object": User._meta.verbose_name}
    )


@requires(Right.MANAGE_ACCOUNTS)
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_scoped_or_404(User.in_scope.all(), pk=pk)
    if user.role not in assignable_roles(request.user.role):
        raise PermissionDenied
    form = AccountForm(request.POST or None, instance=user, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "new_password"}
        saved = run_service(
            request,
            form,
            lambda: services.update_account(
                Actor.from_request(request), user, data, form.cleaned_data.get("new_password")
            ),
            saved_message(user.username),
        )
        if saved is not None:
            return redirect("control:account_list")
    return render(request, "control/form.html", {"form": form, "object": user})
