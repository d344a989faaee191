"""Template filters about the user's scope: a page links to an object only when the user may
open it (another organization's object would answer 404)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def visible(obj) -> bool:
    """The object can be fetched through its scoped manager (one indexed query)."""
    if obj is None:
        return False
    return type(obj).objects.filter(pk=obj.pk).exists()
