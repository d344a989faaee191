"""Shared parts of the staff pages: the roots a user sees, breadcrumbs, and the form page that
calls a service function and shows its validation errors on the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from heli.core.exporters import XLSX_TYPE, safe_filename
from heli.core.scoping import current_scope
from heli.core.tree import TreeNode


def visible_roots(model: type[TreeNode], scope_path: str | None) -> list[TreeNode]:
    """The topmost nodes the scope shows: the scope's own root, or every root."""
    if scope_path is None:
        return []
    if scope_path == "":
        return list(model.objects.filter(parent__isnull=True).order_by("path"))
    return list(model.objects.filter(path=scope_path))


def breadcrumbs(node: TreeNode, scope_path: str | None) -> list[TreeNode]:
    """Ancestors the user may see (those inside their scope), root first."""
    floor = len(scope_path or "")
    return [a for a in node.ancestors() if len(a.path) >= floor]


def attachment(body: bytes, filename: str, content_type: str = XLSX_TYPE) -> HttpResponse:
    """A file to download; the name may be Chinese (RFC 6266 `filename*`)."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    return response


def back_to_list(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the list a batch came from (`next`, a local path only), else to `fallback`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/"):
        return redirect(target)
    return redirect(fallback)


def post_action(
    request: HttpRequest, action: Callable[[], Any], back: HttpResponse
) -> HttpResponse:
    """Run the service call behind a POST button: a ValidationError it raises comes back as an
    error message, a text it returns (else "Saved.") as a success message; answer `back`."""
    try:
        done = action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done if isinstance(done, str) else _("Saved."))
    return back


def form_page(
    request: HttpRequest,
    form: Form,
    service: Callable[[dict[str, Any]], Model],
    done: Callable[[Model], HttpResponse],
    **context: Any,
) -> HttpResponse:
    """GET shows the form. A valid POST calls `service(cleaned_data)` (one audited transaction)
    and answers `done(obj)`; a ValidationError the service raises lands on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = service(form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": obj})
            return done(obj)
    return render(request, "control/form.html", {"form": form, **context})


def add_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def region_scope_path() -> str | None:
    return current_scope().region_path


def org_scope_path() -> str | None:
    return current_scope().org_path
