"""`{{ note|masked }}`: free text as every page shows it (heli.core.freetext)."""

from __future__ import annotations

from typing import Any

from django import template

from heli.core import freetext

register = template.Library()


@register.filter
def masked(value: Any) -> Any:
    return freetext.mask(value)
