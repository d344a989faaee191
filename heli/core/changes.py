"""Applying a form's cleaned data to a model instance and describing what changed."""

from __future__ import annotations

from typing import Any

from django.db import models


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def apply(obj: models.Model, data: dict[str, Any]) -> dict:
    """Set `data` on `obj`, validate it, and return {field: [old, new]} of real changes."""
    before = snapshot(obj, list(data))
    for name, value in data.items():
        setattr(obj, name, value)
    obj.full_clean(validate_unique=False)
    return changed_fields(before, data)


def changed_fields(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that differ, as JSON-safe strings."""
    return {
        key: [_plain(before.get(key)), _plain(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
