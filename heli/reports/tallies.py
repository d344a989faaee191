"""The member tallies (reports.MemberTally): kept by triggers, read as sums within a scope.

Why triggers rather than calls in each service: every path that writes members (the member
services, transfers, retention, the import's executemany/COPY, the demo and bench builders,
queryset updates) moves the tally in the same statement's transaction, and none can forget it.
PostgreSQL runs one statement-level trigger per INSERT/UPDATE/DELETE over its transition
tables, so a bulk write adds one grouped delta; SQLite runs a row trigger (an upsert on a small
table). Both skip in `core.history.maintenance()` (the test runner's flush, which empties the
tallies with every table). Beware, as with the history triggers: on SQLite a migration that
rebuilds the member table drops its triggers; add them again there with `tally_triggers()`
(tests/test_tallies.py fails until then).
"""

from __future__ import annotations

from django.db import connection, migrations, transaction
from django.db.models import Q, QuerySet, Sum

from heli.core.history import SQLITE_FLAG_FUNCTION, maintenance
from heli.core.scoping import Scope
from heli.orgs.models import PartyOrg, Region
from heli.reports.models import MemberTally

MEMBERS = "members_member"
TALLY = "reports_membertally"
KEY_COLUMNS = ("org_id", "residence_grid_id", "reported_to_id", "status", "floating_direction")
TARGET = "key, org_id, residence_grid_id, reported_to_id, status, floating_direction, n"


def _key(prefix: str = "") -> str:
    """The tally key of a member row as SQL (both databases): ids and codes joined by '/'."""
    parts = [f"COALESCE(CAST({prefix}{c} AS TEXT), '')" for c in KEY_COLUMNS]
    return " || '/' || ".join(parts)


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}{c}" for c in KEY_COLUMNS)


UPSERT = f"ON CONFLICT (key) DO UPDATE SET n = {TALLY}.n + excluded.n"

# PostgreSQL: one function for the three statement triggers; each branch names only the
# transition tables its event has (PL/pgSQL plans a statement when it first runs it).
_PG_DELTA = """
    INSERT INTO {tally} ({target})
    SELECT {key}, {cols}, SUM(d) FROM ({rows}) AS delta
    GROUP BY {cols} HAVING SUM(d) <> 0 ORDER BY 1
    {upsert};"""
_NEW = f"SELECT {_values('')}, 1 AS d FROM new_rows WHERE deleted_at IS NULL"
_OLD = f"SELECT {_values('')}, -1 AS d FROM old_rows WHERE deleted_at IS NULL"


def _pg_delta(rows: str) -> str:
    return _PG_DELTA.format(
        tally=TALLY, target=TARGET, key=_key(), cols=_values(""), rows=rows, upsert=UPSERT
    )


POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION heli_member_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('heli.maintenance', true) = 'on' THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN {_pg_delta(_NEW)}
    ELSIF TG_OP = 'DELETE' THEN {_pg_delta(_OLD)}
    ELSE {_pg_delta(_NEW + " UNION ALL " + _OLD)}
    END IF;
    RETURN NULL;
END $$;
"""

POSTGRES = [
    POSTGRES_FUNCTION,
    *(
        f"CREATE TRIGGER {MEMBERS}_tally_{op.lower()} AFTER {op} ON {MEMBERS} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION heli_member_tally()"
        for op, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ),
]
POSTGRES_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {MEMBERS}_tally_{op} ON {MEMBERS}"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS heli_member_tally()",
]


def _sqlite_add(row: str, d: int) -> str:
    """Add `d` to the tally of the row `row` (NEW or OLD) unless it is soft-deleted."""
    return (
        f"INSERT INTO {TALLY} ({TARGET}) SELECT {_key(row + '.')}, {_values(row + '.')}, {d} "
        f"WHERE {row}.deleted_at IS NULL {UPSERT};"
    )


_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (*KEY_COLUMNS, "deleted_at"))
_AWAKE = f"NOT {SQLITE_FLAG_FUNCTION}()"
SQLITE = [
    f"CREATE TRIGGER {MEMBERS}_tally_insert AFTER INSERT ON {MEMBERS} WHEN {_AWAKE} "
    f"BEGIN {_sqlite_add('NEW', 1)} END",
    f"CREATE TRIGGER {MEMBERS}_tally_update AFTER UPDATE ON {MEMBERS} "
    f"WHEN {_AWAKE} AND ({_CHANGED}) BEGIN {_sqlite_add('OLD', -1)} {_sqlite_add('NEW', 1)} END",
    f"CREATE TRIGGER {MEMBERS}_tally_delete AFTER DELETE ON {MEMBERS} WHEN {_AWAKE} "
    f"BEGIN {_sqlite_add('OLD', -1)} END",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {MEMBERS}_tally_{op}" for op in ("insert", "update", "delete")
]


def _run(statements: dict[str, list[str]], then_rebuild: bool = False):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)
        if then_rebuild:
            _count_again(schema_editor.connection)

    return run


def tally_triggers() -> migrations.RunPython:
    """The migration operation that (re)creates the triggers and counts the tallies again."""
    return migrations.RunPython(
        _run({"postgresql": POSTGRES_REVERSE + POSTGRES, "sqlite": SQLITE_REVERSE + SQLITE}, True),
        _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
    )


def _count_again(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TALLY}")
        cursor.execute(
            f"INSERT INTO {TALLY} ({TARGET}) SELECT {_key()}, {_values('')}, COUNT(*) "
            f"FROM {MEMBERS} WHERE deleted_at IS NULL GROUP BY {_values('')}"
        )


def rebuild() -> int:
    """Count every tally again from the members (`heli tallies rebuild`); writers wait meanwhile
    (PostgreSQL: a SHARE lock on the members; SQLite: the write transaction). Returns the rows."""
    with maintenance():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {MEMBERS} IN SHARE MODE")
        _count_again(connection)
        return MemberTally.objects.count()


def differences() -> list[tuple[str, int, int]]:
    """[(key, tally, members)] wherever a tally disagrees with a count of the members
    (`heli tallies check`; empty when every tally is right)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_key()}, COUNT(*) FROM {MEMBERS} WHERE deleted_at IS NULL "
            f"GROUP BY {_values('')}"
        )
        real = dict(cursor.fetchall())
        kept = dict(MemberTally.objects.exclude(n=0).values_list("key", "n"))
    return sorted(
        (key, kept.get(key, 0), real.get(key, 0))
        for key in set(real) | set(kept)
        if kept.get(key, 0) != real.get(key, 0)
    )


def _nodes_q(field: str, model: type, path_q: Q) -> Q:
    """Tally rows whose `field` is a node of `model` matching `path_q` (a semi-join)."""
    return Q(**{f"{field}__in": model.unscoped.filter(path_q).values("pk")})


def scope_q(scope: Scope) -> Q:
    """Tally rows of the members `scope` sees: Member.scope_q's three paths, on the tally's
    keys (the same ids, so the sum is exact)."""
    return (
        _nodes_q("org", PartyOrg, scope.org_q("path"))
        | _nodes_q("residence_grid", Region, scope.region_q("path"))
        | _nodes_q("reported_to", Region, scope.region_q("path"))
    )


def in_scope(scope: Scope) -> QuerySet:
    return MemberTally.objects.filter(scope_q(scope)).exclude(n=0)


def total(tallies: QuerySet) -> int:
    return tallies.aggregate(n=Sum("n"))["n"] or 0


def member_count(scope: Scope, q: Q | None = None) -> int:
    """Not-deleted members `scope` sees (narrowed by `q` over the tally's fields)."""
    tallies = in_scope(scope)
    return total(tallies.filter(q) if q is not None else tallies)
