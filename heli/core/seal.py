"""Seals of history: HMAC-SM3 with the audit key (HELI_AUDIT_KEY, never in the database) over
a row's canonical content, so that whoever can write to the database but lacks the key cannot
change a history row unnoticed (`heli audit verify`).

The canonical content is stable across SQLite and PostgreSQL and across a write and a read:
every stored field by its attribute name (the seal itself and, for the per-row seals, the id,
which only the insert hands out, left out), ids and text as text, times as UTC ISO with
microseconds, dates as ISO, JSON with keys sorted and numbers in one normalized form (jsonb
reorders keys and writes 1e16 as 10000000000000000), all as sorted-keys JSON under the model's
label (a row sealed for one table does not verify in another).

Empty values (None, "", False, {}, []) are left out: a field added later with an empty default
keeps the seals of the rows written before it; a field added with another default, or one
removed, needs its migration to seal the table's rows again.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.core.signals import setting_changed
from django.db import migrations, models
from django.dispatch import receiver
from django.utils import timezone

ROW_SEAL_EXCLUDES = ("id", "seal")
# The audit chain's digest covers the id and the link to the entry before it.
CHAIN_EXCLUDES = ("digest",)


def _empty(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str) and not value)


@cache
def _mac() -> hmac.HMAC:
    """Keyed once; each seal copies it (a read of a setting costs as much as a seal)."""
    return hmac.HMAC(settings.AUDIT_KEY, hashes.SM3())


@receiver(setting_changed)
def _forget_key(*, setting: str, **kwargs: object) -> None:
    if setting == "AUDIT_KEY":
        _mac.cache_clear()


def mac(data: bytes) -> str:
    h = _mac().copy()
    h.update(data)
    return h.finalize().hex()


def _number(value: int | float | Decimal) -> str:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return json.dumps(str(number))
    return format(number.normalize(), "f")


def dump(value: Any) -> str:
    """Canonical JSON: keys sorted, no spaces, non-ASCII as is, numbers normalized."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda item: item[0])
        return "{" + ",".join(f"{dump(k)}:{dump(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    raise TypeError(f"no canonical form for {type(value).__name__}")


def field_value(field: models.Field, value: Any) -> Any:
    """One field's value in the canonical form (None when empty)."""
    if _empty(value):
        return None
    if isinstance(field, models.JSONField):
        # What the database stores and gives back: the field's own encoder and decoder.
        value = json.loads(json.dumps(value, cls=field.encoder), cls=field.decoder)
        return value if value not in ({}, []) else None
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(field, models.GenericIPAddressField):
        return field.get_prep_value(value)  # IPv6 compressed and lower-case, as stored
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal | float):
        return _number(value)
    if isinstance(value, int | uuid.UUID):
        return str(value)
    return value


def content(instance: models.Model, exclude: tuple[str, ...] = ROW_SEAL_EXCLUDES) -> dict[str, Any]:
    values = {}
    for field in instance._meta.concrete_fields:
        if field.attname not in exclude:
            value = field_value(field, getattr(instance, field.attname))
            if value is not None:
                values[field.attname] = value
    return values


def digest(label: str, values: dict[str, Any]) -> str:
    return mac(dump({"": label, **values}).encode())


def seal_of(instance: models.Model, exclude: tuple[str, ...] = ROW_SEAL_EXCLUDES) -> str:
    """The seal of a history row as it is (before the insert, or read back)."""
    return digest(instance._meta.label_lower, content(instance, exclude))


def sealer(label: str, values: dict[str, Any], varying: str) -> Callable[[int], str]:
    """Seals of many rows alike but for one id field (`varying`; the import's history rows,
    alike but for their member): the common part is absorbed once, each row costs one copy
    of the keyed state and the id's few bytes."""
    mark = "\x00varying\x00"
    head, tail = dump({"": label, **values, varying: mark}).split(dump(mark))  # exactly two
    state = _mac().copy()
    state.update(head.encode())
    tail_bytes = tail.encode()

    def seal(pk: int) -> str:
        h = state.copy()
        h.update(b'"%d"' % pk + tail_bytes)
        return h.finalize().hex()

    return seal


def walk(queryset: models.QuerySet, batch: int) -> Iterator[list[models.Model]]:
    """Rows in id order, `batch` at a time (constant memory whatever the table's size)."""
    last = None
    while True:
        rows = queryset.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        chunk = list(rows[:batch])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def sealing_migration(app_label: str, model_name: str) -> migrations.RunPython:
    """The migration step that seals the rows a table holds when it gains its seal."""

    def seal_rows(apps, schema_editor) -> None:
        seal_existing(apps.get_model(app_label, model_name), schema_editor)

    return migrations.RunPython(seal_rows, migrations.RunPython.noop)


def seal_existing(model: type[models.Model], schema_editor) -> None:
    """The seal of every row a table already holds."""
    connection = schema_editor.connection
    table = connection.ops.quote_name(model._meta.db_table)
    rows = model._base_manager.using(connection.alias).all()
    with connection.cursor() as cursor:
        for chunk in walk(rows, 2000):
            cursor.executemany(
                f"UPDATE {table} SET seal = %s WHERE id = %s", [(seal_of(r), r.pk) for r in chunk]
            )


def chain_existing(model: type[models.Model], schema_editor) -> None:
    """For the migration that chains the audit log: link and digest the entries it already
    holds, in id order (the caller has the table's update trigger out of the way)."""
    connection = schema_editor.connection
    table = connection.ops.quote_name(model._meta.db_table)
    previous = ""
    with connection.cursor() as cursor:
        for chunk in walk(model._base_manager.using(connection.alias).all(), 2000):
            linked = []
            for entry in chunk:
                entry.prev_digest = previous
                previous = entry.digest = seal_of(entry, CHAIN_EXCLUDES)
                linked.append((entry.prev_digest, entry.digest, entry.pk))
            cursor.executemany(
                f"UPDATE {table} SET prev_digest = %s, digest = %s WHERE id = %s", linked
            )
