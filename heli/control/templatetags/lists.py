"""Template filters of the list pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def is_list(value) -> bool:
    """An option group's options (a list), rather than one option's label."""
    return isinstance(value, list)
