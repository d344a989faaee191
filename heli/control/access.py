"""Access checks of the staff pages: login, then the role's right (403 when missing).

Which objects exist for a user is decided by the scope (heli.core.scoping), never here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from heli.accounts.roles import Right


def requires(*rights: Right) -> Callable:
    """Login, then any one of `rights` (the account list is the system and the security
    administrator's page alike)."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not can_any(request.user, rights):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_right = rights[0] if len(rights) == 1 else rights
        return wrapper

    return decorate


def can_any(user, rights: Right | tuple[Right, ...]) -> bool:
    rights = rights if isinstance(rights, tuple) else (rights,)
    return any(user.can(right) for right in rights)


def paginate(request: HttpRequest, queryset, per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.HELI_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
