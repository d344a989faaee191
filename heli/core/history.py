"""The append-only history tables and the database's own guard over them.

Every history table (`history_models()`) gets triggers in its app's migrations
(`append_only_triggers`): on PostgreSQL BEFORE UPDATE OR DELETE row triggers and a BEFORE
TRUNCATE statement trigger, on SQLite BEFORE UPDATE and BEFORE DELETE triggers. They refuse
unless the session is in `maintenance()`, which only the owner's deliberate work enters:
Django's flush (the test runner empties tables between transactional tests), the demo's
reset (`core.models.wipe`) and tests that tamper with history. On PostgreSQL the application's
role lacks UPDATE, DELETE and TRUNCATE on these tables anyway (`heli db_grant`), so the flag,
which any session may set, opens nothing for it; the triggers stop the owner's accidents,
and everyone when a single role is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, migrations, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

MAINTENANCE_SETTING = "heli.maintenance"
SQLITE_FLAG_FUNCTION = "heli_maintenance"


def history_models() -> list[type[models.Model]]:
    """Every history table: the models deriving heli.core.models.AppendOnly (each needs its
    `append_only_triggers` migration; tests/test_history_triggers.py fails without)."""
    from heli.core.models import AppendOnly  # heli.core.models uses maintenance()

    return [model for model in apps.get_models() if issubclass(model, AppendOnly)]


def _set_flag(connection: BaseDatabaseWrapper, on: bool) -> None:
    if connection.vendor == "postgresql":
        # Local to the transaction: a rollback (of it or of the savepoint) undoes it too.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [MAINTENANCE_SETTING, "on" if on else "off"]
            )
    else:
        connection.heli_maintenance = on


@contextmanager
def maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this block's own statements change and empty history tables (the owner's work:
    flushing a test database, resetting the demo). Inside one transaction, so the flag ends
    with the block whether it succeeds or fails."""
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_flag(connection, True)
        try:
            yield
        except BaseException:
            # PostgreSQL's rollback undoes the flag (and would refuse a statement now).
            if connection.vendor != "postgresql":
                _set_flag(connection, False)
            raise
        _set_flag(connection, False)


def register_sqlite_flag(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """connection_created: SQLite has no session settings, so the triggers ask this function
    whether the Django connection is in maintenance. A tool that does not define it (the
    sqlite3 shell) fails on the trigger, which refuses as well."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FLAG_FUNCTION, 0, lambda: int(getattr(connection, "heli_maintenance", False))
        )


# PostgreSQL: one function behind every history trigger (core's migration creates it).
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION heli_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{MAINTENANCE_SETTING}', true) = 'on' THEN
        IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are append-only (%)', TG_TABLE_NAME, TG_OP;
END $$;
"""


def _trigger_sql(table: str) -> dict[str, tuple[list[str], list[str]]]:
    """(forward, reverse) statements per vendor."""
    refuse = f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END;"
    guard = f"WHEN NOT {SQLITE_FLAG_FUNCTION}() {refuse}"
    return {
        "postgresql": (
            [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION heli_append_only()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION heli_append_only()",
            ],
            [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            ],
        ),
        "sqlite": (
            [
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} {guard}",
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {guard}",
            ],
            [
                f"DROP TRIGGER IF EXISTS {table}_no_update",
                f"DROP TRIGGER IF EXISTS {table}_no_delete",
            ],
        ),
    }


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


def append_only_triggers(table: str) -> migrations.RunPython:
    """The migration operation that guards one history table. Beware: on SQLite, a later
    migration that rebuilds the table (most column changes) drops its triggers; the test of
    every history table's refusals (tests/test_history_triggers.py) then fails, and the
    migration must add them again."""
    sql = _trigger_sql(table)
    forward = {vendor: pair[0] for vendor, pair in sql.items()}
    reverse = {vendor: pair[1] for vendor, pair in sql.items()}
    return migrations.RunPython(_run(forward), _run(reverse))


def append_only_function() -> migrations.RunPython:
    """The migration operation that creates PostgreSQL's trigger function."""
    return migrations.RunPython(
        _run({"postgresql": [POSTGRES_FUNCTION]}),
        _run({"postgresql": ["DROP FUNCTION IF EXISTS heli_append_only()"]}),
    )
