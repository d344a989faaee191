"""Shared parts of the region and organization pages: the roots a user sees, breadcrumbs,
and running a service function with its validation errors shown on the form."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import Form
from django.utils.translation import gettext as _

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


def run_service(request, form: Form, action: Callable[[], Model], success: str) -> Model | None:
    """Call a service; its ValidationError lands on the form instead of a 500."""
    try:
        obj = action()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None
    messages.success(request, success)
    return obj


def region_scope_path() -> str | None:
    return current_scope().region_path


def org_scope_path() -> str | None:
    return current_scope().org_path


def saved_message(obj) -> str:
    return _("Saved “%(name)s”.") % {"name": obj}
