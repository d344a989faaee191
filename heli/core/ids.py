"""Primary keys taken before their rows are written (a ciphertext is bound to its row's id:
core.sealed), one at a time or in bulk (an import, the demo).

PostgreSQL: `nextval` of the table's sequence, as the insert itself would call it: nothing
else will ever be given these ids, whatever commits meanwhile, and the sequence stays ahead of
them. SQLite (AUTOINCREMENT tables): the ids above both the highest row and the highest id ever
handed out (sqlite_sequence), reserved by moving sqlite_sequence past them inside a write
transaction (IMMEDIATE: one writer at a time), so a later insert, ours or anyone's, starts
above them even before they are used. Ids taken and never used are gaps, as after a rollback.
"""

from __future__ import annotations

from contextlib import closing

from django.db import connections, models, router, transaction


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    """`n` fresh primary keys of `model`'s table, ascending."""
    if n <= 0:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    table = model._meta.db_table
    column = model._meta.pk.column
    with transaction.atomic(using=alias), closing(connection.cursor()) as cursor:
        if connection.vendor == "postgresql":
            # The sequence is named once: per row, pg_get_serial_sequence costs four times
            # what nextval does.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, column))
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, n)
            )
            return sorted(pk for (pk,) in cursor.fetchall())
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"coalesce((SELECT max({connection.ops.quote_name(column)}) FROM {quoted}), 0))",
            (table,),
        )
        start = cursor.fetchone()[0]
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", (start + n, table))
        if cursor.rowcount == 0:  # the table never had a row
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", (table, start + n)
            )
        return list(range(start + 1, start + n + 1))


class IdPool:
    """Ids of one table handed out one by one: taken from the database `block` at a time, or
    from a list taken beforehand (`fixed`: a process that may not use the database)."""

    def __init__(self, model: type[models.Model], block: int = 1000, ids: list[int] | None = None):
        self.model, self.block = model, block
        self.ids = list(reversed(ids)) if ids is not None else []
        self.fixed = ids is not None

    def take(self) -> int:
        if not self.ids:
            if self.fixed:
                raise RuntimeError(f"no {self.model.__name__} ids left in the pool")
            self.ids = list(reversed(allocate_ids(self.model, self.block)))
        return self.ids.pop()

    def split(self, keep: int) -> IdPool:
        """A fixed pool of this pool's ids after the first `keep`, taken away from it (for a
        forked process: it takes its ids from the list, never from the database)."""
        ordered = self.ids[::-1]
        self.ids = ordered[:keep][::-1]
        return IdPool(self.model, ids=ordered[keep:])
