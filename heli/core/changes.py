"""Applying a form's cleaned data to a model instance and describing what changed."""

from __future__ import annotations

from typing import Any

from django.db import models

from heli.audit.services import changed_fields


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def apply(obj: models.Model, data: dict[str, Any]) -> dict:
    """Set `data` on `obj`, validate it, and return {field: [old, new]} of real changes."""
    before = snapshot(obj, list(data))
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean(validate_unique=False)
    return changed_fields(before, data)
