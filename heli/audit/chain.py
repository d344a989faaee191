"""The audit log as a hash chain, and the check of every sealed history table.

Each entry's `digest` is HMAC-SM3 (the audit key, HELI_AUDIT_KEY, never in the database) over
the entry's canonical content (heli.core.seal: every stored field, the id and the time
included) and `prev_digest`, the digest of the entry before it in id order. Appending is
serialized: on PostgreSQL a transaction-level advisory lock is taken before the last digest is
read and held to the commit; SQLite's transactions take the write lock when they begin
(IMMEDIATE). The id is taken under the same lock, so id order is chain order. The lock must be
the last one a transaction takes: a transaction that audits and then locks rows waits, holding
the chain, for one that locked those rows and waits for the chain (a deadlock PostgreSQL
breaks by failing one). Services therefore write their audit entry after their rows.

`append_many` appends entries in bulk (a data set's history, heli bench world): the same
lock and predecessor, ids taken a batch at a time (core.ids), each entry digested as `link`'s
caller digests it, rows written through the database's fastest insert (core.fastinsert).

`verify` walks the chain in id order and names the first entry whose link or content does not
hold; then each sealed history table (the AppendOnly models' `seal`) in id order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.core import fastinsert, seal
from heli.core.ids import allocate_ids
from heli.core.models import AppendOnly

# pg_advisory_xact_lock's key for appending to the chain ("heliaudt" as a number).
LOCK_KEY = 0x68656C6961756474
BATCH = 5000

Progress = Callable[[str], None]


def link(entry: AuditEntry) -> None:
    """Inside the caller's transaction: take the chain's lock (held until the commit), give
    `entry` the next id and the digest of the last entry as its predecessor."""
    table = AuditEntry._meta.db_table
    quoted = connection.ops.quote_name(table)
    last = f"(SELECT digest FROM {quoted} ORDER BY id DESC LIMIT 1)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A statement of its own: the read below must see what the lock waited for.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute(f"SELECT {last}, nextval(%s::regclass)", [_sequence(cursor, table)])
        else:
            # AUTOINCREMENT never hands out an id twice: above the highest row and the highest
            # id ever used (a rolled-back entry's included).
            cursor.execute(
                f"SELECT {last}, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s),"
                f" 0), coalesce((SELECT max(id) FROM {quoted}), 0)) + 1",
                [table],
            )
        previous, entry.pk = cursor.fetchone()
    entry.prev_digest = previous or ""


def append_many(entries: Iterable[AuditEntry], batch: int = BATCH) -> int:
    """Append `entries` (unsaved, `at` set or now) to the chain in their order, in one
    transaction holding the chain's lock: each links to the one before it, the first to the
    chain's last entry. How many were appended."""
    fields = fastinsert.field_names(AuditEntry)
    done = 0
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            quoted = connection.ops.quote_name(AuditEntry._meta.db_table)
            cursor.execute(f"SELECT digest FROM {quoted} ORDER BY id DESC LIMIT 1")
            last = cursor.fetchone()
        previous = last[0] if last else ""
        for chunk in _chunks(entries, batch):
            rows = []
            for entry, pk in zip(chunk, allocate_ids(AuditEntry, len(chunk)), strict=True):
                entry.pk, entry.prev_digest = pk, previous
                entry.at = entry.at or timezone.now()
                previous = entry.digest = digest_of(entry)
                rows.append(fastinsert.values(entry, fields))
            fastinsert.insert(AuditEntry, fields, rows)
            done += len(rows)
    return done


def _chunks(items: Iterable[AuditEntry], size: int) -> Iterator[list[AuditEntry]]:
    chunk: list[AuditEntry] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_sequences: dict[str, str] = {}


def _sequence(cursor, table: str) -> str:
    """The id sequence of `table`, named once per process (looking it up costs more than
    taking a value from it)."""
    if table not in _sequences:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        _sequences[table] = cursor.fetchone()[0]
    return _sequences[table]


def digest_of(entry: AuditEntry) -> str:
    return seal.seal_of(entry, seal.CHAIN_EXCLUDES)


@dataclass(frozen=True)
class Broken:
    """The first row of a table that does not verify."""

    table: str
    pk: int
    at: dt.datetime | None
    what: str

    def __str__(self) -> str:
        name = "audit entry" if self.table == AuditEntry._meta.db_table else f"{self.table} row"
        when = f" ({self.at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC)" if self.at else ""
        return f"{name} {self.pk}{when}: {self.what}"


def _rows(queryset, label: str, progress: Progress | None) -> Iterator:
    total = queryset.count() if progress else 0
    done = 0
    for chunk in seal.walk(queryset, BATCH):
        yield from chunk
        done += len(chunk)
        if progress and total > BATCH:
            progress(f"{done:,} of {total:,} {label} checked")


def verify_chain(progress: Progress | None = None) -> tuple[int, Broken | None]:
    """How many entries were checked, and the first broken one."""
    table = AuditEntry._meta.db_table
    previous, count = "", 0
    for entry in _rows(AuditEntry.unscoped.all(), "audit entries", progress):
        count += 1
        if entry.prev_digest != previous:
            later = AuditEntry.unscoped.filter(pk__gt=entry.pk, digest=entry.prev_digest)
            what = (
                "order changed: it links to a later entry"
                if entry.prev_digest and later.exists()
                else "predecessor missing: the entry it links to is not the one before it"
            )
            return count, Broken(table, entry.pk, entry.at, what)
        if digest_of(entry) != entry.digest:
            return count, Broken(table, entry.pk, entry.at, "content changed")
        previous = entry.digest
    return count, None


def sealed_models() -> list[type[AppendOnly]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, AppendOnly) and any(f.name == "seal" for f in model._meta.fields)
    ]


def verify_seals(
    model: type[AppendOnly], progress: Progress | None = None
) -> tuple[int, Broken | None]:
    count = 0
    label = model._meta.db_table
    for row in _rows(model._base_manager.all(), f"{label} rows", progress):
        count += 1
        if seal.seal_of(row) != row.seal:
            return count, Broken(label, row.pk, getattr(row, "at", None), "content changed")
    return count, None
