"""Re-encrypting every encrypted column (core.sealed.FIELDS) in batches: `heli keys rotate`
writes each value under the current key, and the migration that bound ciphertexts to their
rows (core 0004) wrote each value of the old unbound format bound.

Keyset pagination by id, one transaction per batch whose rows are locked (PostgreSQL: FOR
UPDATE; SQLite: the write lock of the IMMEDIATE transaction), so an edit that saves meanwhile
is neither lost nor overwritten; a batch that commits stays done, and a run that stops is
simply run again (rotation skips values already under the current version). Only the
ciphertext changes: no version, timestamp or history row of the member moves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

from django.db import connections, models, router, transaction

from heli.core import crypto

BATCH = 1000

# (stored value, associated data) -> new stored value, or None to leave the value as it is.
Rewrite = Callable[[bytes, bytes], bytes | None]
Progress = Callable[[str, int, int], None]  # (table.column, rewritten so far, rows read so far)


@dataclass
class Outcome:
    rewritten: dict[str, int] = field(default_factory=dict)  # table.column -> values
    unreadable: dict[str, list[int]] = field(default_factory=dict)  # table.column -> ids

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())


def to_current(blob: bytes, where: bytes) -> bytes | None:
    """`heli keys rotate`: a value under an older key, written under the current one."""
    if crypto.version_of(blob) == crypto.current_version():
        return None
    return crypto.encrypt(crypto.decrypt(blob, where), where)


def rewrite_column(
    model: type[models.Model],
    attname: str,
    rewrite: Rewrite,
    outcome: Outcome,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> None:
    """Apply `rewrite` to every non-null value of `attname`, `batch` rows a transaction. A
    value that does not decrypt is left as it is and its row named in `outcome.unreadable`."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.get_field(attname).column
    name = f"{table}.{column}"
    pk = quote(model._meta.pk.column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f"SELECT {pk}, {quote(column)} FROM {quote(table)} "
        f"WHERE {pk} > %s AND {quote(column)} IS NOT NULL ORDER BY {pk} LIMIT %s{lock}"
    )
    update = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {pk} = %s"
    last, seen = 0, 0
    outcome.rewritten.setdefault(name, 0)
    while True:
        with transaction.atomic(using=alias), closing(connection.cursor()) as cursor:
            cursor.execute(select, (last, batch))
            rows = cursor.fetchall()
            changed = []
            for row_pk, blob in rows:
                try:
                    new = rewrite(bytes(blob), crypto.associated(table, column, row_pk))
                except crypto.DecryptionError:
                    outcome.unreadable.setdefault(name, []).append(row_pk)
                    continue
                if new is not None:
                    changed.append((new, row_pk))
            if changed:
                cursor.executemany(update, changed)
        if not rows:
            break
        last = rows[-1][0]
        seen += len(rows)
        outcome.rewritten[name] += len(changed)
        if progress is not None:
            progress(name, outcome.rewritten[name], seen)


def rotate(*, batch: int = BATCH, progress: Progress | None = None) -> Outcome:
    """Every encrypted column of every table under the current key."""
    from heli.core import sealed

    outcome = Outcome()
    for model, attname in sealed.fields():
        rewrite_column(model, attname, to_current, outcome, batch=batch, progress=progress)
    return outcome


def count_by_version() -> dict[int, int]:
    """Stored values per key version (a key is retired only when none is left under it)."""
    from heli.core import sealed

    counts: dict[int, int] = {}
    for model, attname in sealed.fields():
        for blob in model._base_manager.exclude(**{attname: None}).values_list(attname, flat=True):
            version = crypto.version_of(bytes(blob))
            counts[version] = counts.get(version, 0) + 1
    return counts
