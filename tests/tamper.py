"""Changing history behind the application's back, as someone with database access would:
raw SQL, with the history tables' append-only triggers out of the way for the moment (the
owner's maintenance, heli.core.history). Inside a test's transaction, so that everything is
undone with it."""

from __future__ import annotations

from django.db import connection

from heli.core.history import maintenance

AUDIT_TABLE = "audit_auditentry"


def execute(sql: str, params: list | tuple = ()) -> None:
    with maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def flip_a_byte(table: str, pk: int, column: str) -> None:
    """Change the first character of a text column of one row (a → b, 王 → 玌)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        (value,) = cursor.fetchone()
    changed = chr(ord(value[0]) + 1) + value[1:]
    execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [changed, pk])


def delete_row(table: str, pk: int) -> None:
    execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def swap_rows(table: str, first: int, second: int) -> None:
    """Exchange everything but the ids of two rows: the two entries change places."""
    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, table)
            if c.name != "id"
        ]
    listed = ", ".join(columns)
    # Through a copy: raw values of a JSON column do not go back as parameters on PostgreSQL.
    with maintenance(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE swapped AS SELECT * FROM {table} WHERE id IN (%s, %s)",
            [first, second],
        )
        cursor.execute(
            f"UPDATE {table} SET ({listed}) = (SELECT {listed} FROM swapped WHERE swapped.id = "
            f"CASE WHEN {table}.id = %s THEN %s ELSE %s END) WHERE id IN (%s, %s)",
            [first, second, first, first, second],
        )
        cursor.execute("DROP TABLE swapped")
