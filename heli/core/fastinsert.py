"""Rows inserted through each database's fastest path, inside the caller's transaction:
one `executemany` of one INSERT on SQLite, `COPY ... FROM STDIN` on PostgreSQL, both on the
connection's own DB-API cursor (the member import's writer and the bench world use it).

`rows` hold values as the database takes them: `values(instance, fields)` gives an unsaved
instance's through the fields' own `get_db_prep_value`, as the ORM's insert would.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from typing import Any

from django.db import connection, models


def columns(model: type[models.Model], fields: Iterable[str]) -> str:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    return ", ".join(quote(by_attname[name]) for name in fields)


def executemany(model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join("?" * len(fields))
    with closing(connection.connection.cursor()) as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns(model, fields)}) VALUES ({marks})", rows)


def copy(model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({columns(model, fields)}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copier:
        for row in rows:
            copier.write_row(row)


def insert(model: type[models.Model], fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """`rows` (values in `fields`' order) into `model`'s table, the fastest way there is."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        (copy if connection.vendor == "postgresql" else executemany)(model, fields, rows)


def field_names(model: type[models.Model]) -> tuple[str, ...]:
    """Every concrete field's attname, the primary key included."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def values(instance: models.Model, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """An unsaved instance's values as its insert would send them."""
    by_attname = {f.attname: f for f in instance._meta.concrete_fields}
    return tuple(
        by_attname[name].get_db_prep_save(getattr(instance, name), connection) for name in fields
    )


def insert_instances(model: type[models.Model], instances: Iterable[models.Model]) -> None:
    """Unsaved instances with their primary keys (core.ids) and every value set (auto_now
    fields are not filled here), inserted in one go."""
    fields = field_names(model)
    insert(model, fields, (values(instance, fields) for instance in instances))
