"""Numbers that must never repeat (letter numbers per organization and year, introduction
letter numbers per year), kept in a counter row per key."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models import F


def reserve(counter: type[models.Model], key: dict, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of the `counter` row for `key` (a model with an
    integer `last` and a unique key); returns the first. Call inside a transaction: the UPDATE
    holds the row (PostgreSQL) or the write lock (SQLite) until it commits, so concurrent
    callers get distinct numbers."""
    for _attempt in range(2):
        if counter.objects.filter(**key).update(last=F("last") + count):
            return counter.objects.get(**key).last - count + 1
        try:
            with transaction.atomic():
                counter.objects.create(**key, last=count)
            return 1
        except IntegrityError:
            continue  # created concurrently: bump the winner's row
    raise RuntimeError(f"could not reserve a number of {counter.__name__} {key}")
