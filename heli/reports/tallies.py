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

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, migrations, transaction
from django.db.models import Q, QuerySet, Sum

from heli.core.history import SQLITE_FLAG_FUNCTION, maintenance
from heli.core.lookups import Unindexed
from heli.core.scoping import Scope
from heli.core.tree import STEP_WIDTH
from heli.orgs.models import PartyOrg, Region
from heli.reports.models import FloatingTally, MemberTally


@dataclass(frozen=True)
class Counted:
    """A table whose rows a tally table counts per combination of `columns`, kept by triggers
    named after `name`. `alive` is the SQL condition on a row (as NEW/OLD or a transition table
    row) for being counted, "" for every row."""

    name: str
    table: str
    tally: str
    columns: tuple[str, ...]
    alive: str = ""

    def key(self, prefix: str = "") -> str:
        """The tally key of a row as SQL (both databases): ids and codes joined by '/'."""
        parts = [f"COALESCE(CAST({prefix}{c} AS TEXT), '')" for c in self.columns]
        return " || '/' || ".join(parts)

    def values(self, prefix: str) -> str:
        return ", ".join(f"{prefix}{c}" for c in self.columns)

    @property
    def target(self) -> str:
        return f"key, {self.values('')}, n"

    @property
    def upsert(self) -> str:
        return f"ON CONFLICT (key) DO UPDATE SET n = {self.tally}.n + excluded.n"

    def _alive(self, row: str = "") -> str:
        return self.alive.format(row=row)

    # PostgreSQL: one function for the three statement triggers; each branch names only the
    # transition tables its event has (PL/pgSQL plans a statement when it first runs it).
    def _pg_delta(self, rows: str) -> str:
        cols = self.values("")
        return (
            f"INSERT INTO {self.tally} ({self.target}) SELECT {self.key()}, {cols}, SUM(d) "
            f"FROM ({rows}) AS delta GROUP BY {cols} HAVING SUM(d) <> 0 ORDER BY 1 "
            f"{self.upsert};"
        )

    def _pg_rows(self, table: str, d: int) -> str:
        where = f" WHERE {self._alive()}" if self.alive else ""
        return f"SELECT {self.values('')}, {d} AS d FROM {table}{where}"

    @property
    def function(self) -> str:
        return f"heli_{self.name}_tally"

    def postgres(self) -> list[str]:
        new, old = self._pg_rows("new_rows", 1), self._pg_rows("old_rows", -1)
        function = f"""
CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('heli.maintenance', true) = 'on' THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN {self._pg_delta(new)}
    ELSIF TG_OP = 'DELETE' THEN {self._pg_delta(old)}
    ELSE {self._pg_delta(new + " UNION ALL " + old)}
    END IF;
    RETURN NULL;
END $$;
"""
        return [
            function,
            *(
                f"CREATE TRIGGER {self.table}_tally_{op.lower()} AFTER {op} ON {self.table} "
                f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {self.function}()"
                for op, tables in (
                    ("INSERT", "NEW TABLE AS new_rows"),
                    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                    ("DELETE", "OLD TABLE AS old_rows"),
                )
            ),
        ]

    def postgres_reverse(self) -> list[str]:
        return [
            *(
                f"DROP TRIGGER IF EXISTS {self.table}_tally_{op} ON {self.table}"
                for op in ("insert", "update", "delete")
            ),
            f"DROP FUNCTION IF EXISTS {self.function}()",
        ]

    def _sqlite_add(self, row: str, d: int) -> str:
        """Add `d` to the tally of the row `row` (NEW or OLD) if it is counted."""
        where = f" WHERE {self._alive(row + '.')}" if self.alive else " WHERE 1"
        return (
            f"INSERT INTO {self.tally} ({self.target}) SELECT {self.key(row + '.')}, "
            f"{self.values(row + '.')}, {d}{where} {self.upsert};"
        )

    def sqlite(self) -> list[str]:
        watched = (*self.columns, *self.alive_columns)
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
        awake = f"NOT {SQLITE_FLAG_FUNCTION}()"
        t = self.table
        return [
            f"CREATE TRIGGER {t}_tally_insert AFTER INSERT ON {t} WHEN {awake} "
            f"BEGIN {self._sqlite_add('NEW', 1)} END",
            f"CREATE TRIGGER {t}_tally_update AFTER UPDATE ON {t} WHEN {awake} AND ({changed}) "
            f"BEGIN {self._sqlite_add('OLD', -1)} {self._sqlite_add('NEW', 1)} END",
            f"CREATE TRIGGER {t}_tally_delete AFTER DELETE ON {t} WHEN {awake} "
            f"BEGIN {self._sqlite_add('OLD', -1)} END",
        ]

    @property
    def alive_columns(self) -> tuple[str, ...]:
        return ("deleted_at",) if "deleted_at" in self.alive else ()

    def sqlite_reverse(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.table}_tally_{op}"
            for op in ("insert", "update", "delete")
        ]

    def count_again(self, conn) -> None:
        where = f" WHERE {self._alive()}" if self.alive else ""
        with conn.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.tally}")
            cursor.execute(
                f"INSERT INTO {self.tally} ({self.target}) SELECT {self.key()}, "
                f"{self.values('')}, COUNT(*) FROM {self.table}{where} GROUP BY {self.values('')}"
            )

    def differences(self, kept_model: type) -> list[tuple[str, int, int]]:
        where = f" WHERE {self._alive()}" if self.alive else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.key()}, COUNT(*) FROM {self.table}{where} GROUP BY {self.values('')}"
            )
            real = dict(cursor.fetchall())
            kept = dict(kept_model.objects.exclude(n=0).values_list("key", "n"))
        return sorted(
            (key, kept.get(key, 0), real.get(key, 0))
            for key in set(real) | set(kept)
            if kept.get(key, 0) != real.get(key, 0)
        )


MEMBERS = Counted(
    "member",
    "members_member",
    "reports_membertally",
    ("org_id", "residence_grid_id", "reported_to_id", "status", "floating_direction"),
    alive="{row}deleted_at IS NULL",
)
# Floating records by the five ids their scope (三方共管) and the reports look at, their status
# and direction: the dashboard's, the report's and the list's totals of records.
FLOATING = Counted(
    "floating",
    "mobility_floatingrecord",
    "reports_floatingtally",
    (
        *("outflow_org_id", "inflow_org_id", "industry_chain_id", "joined_org_id", "grid_id"),
        *("status", "direction"),
    ),
)
COUNTED = {"member": MEMBERS, "floating": FLOATING}


def _run(statements: Callable[[str], list[str]], then_rebuild: Counted | None = None):
    def run(apps, schema_editor) -> None:
        for statement in statements(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)
        if then_rebuild is not None:
            then_rebuild.count_again(schema_editor.connection)

    return run


def tally_triggers(counted: Counted = MEMBERS) -> migrations.RunPython:
    """The migration operation that (re)creates the triggers and counts the tallies again."""

    def create(vendor: str) -> list[str]:
        if vendor == "postgresql":
            return counted.postgres_reverse() + counted.postgres()
        return counted.sqlite_reverse() + counted.sqlite() if vendor == "sqlite" else []

    def drop(vendor: str) -> list[str]:
        if vendor == "postgresql":
            return counted.postgres_reverse()
        return counted.sqlite_reverse() if vendor == "sqlite" else []

    return migrations.RunPython(_run(create, counted), _run(drop))


def _models() -> dict[str, type]:
    return {"member": MemberTally, "floating": FloatingTally}


def rebuild() -> int:
    """Count every tally again from its table (`heli tallies rebuild`); writers wait meanwhile
    (PostgreSQL: a SHARE lock on the tables; SQLite: the write transaction). Returns the rows."""
    with maintenance():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for counted in COUNTED.values():
                    cursor.execute(f"LOCK TABLE {counted.table} IN SHARE MODE")
        for counted in COUNTED.values():
            counted.count_again(connection)
        return sum(model.objects.count() for model in _models().values())


def differences() -> list[tuple[str, int, int]]:
    """[(key, tally, rows)] wherever a tally disagrees with a count of its table's rows
    (`heli tallies check`; empty when every tally is right); floating keys start 'floating:'."""
    found = MEMBERS.differences(MemberTally)
    found += [(f"floating:{k}", a, b) for k, a, b in FLOATING.differences(FloatingTally)]
    return found


def _nodes_q(field: str, model: type, path_q: Q, prefix: str = "") -> Q:
    """Tally rows whose `field` is a node of `model` matching `path_q` (a semi-join)."""
    return Q(**{f"{prefix}{field}__in": model.unscoped.filter(path_q).values("pk")})


def scope_q(scope: Scope, prefix: str = "") -> Q:
    """Tally rows of the members `scope` sees: Member.scope_q's three paths, on the tally's
    keys (the same ids, so the sum is exact). `prefix`: see `_read_whole`."""
    return (
        _nodes_q("org", PartyOrg, scope.org_q("path"), prefix)
        | _nodes_q("residence_grid", Region, scope.region_q("path"), prefix)
        | _nodes_q("reported_to", Region, scope.region_q("path"), prefix)
    )


def floating_scope_q(scope: Scope, prefix: str = "") -> Q:
    """Tally rows of the floating records `scope` sees: FloatingRecord.scope_q's five paths."""
    orgs = [_nodes_q(f, PartyOrg, scope.org_q("path"), prefix) for f in FLOATING_ORGS]
    grids = _nodes_q("grid", Region, scope.region_q("path"), prefix)
    return functools.reduce(operator.or_, orgs, grids)


FLOATING_ORGS = ("outflow_org", "inflow_org", "industry_chain", "joined_org")
FLOATING_KEYS = ("grid", *FLOATING_ORGS)
MEMBER_KEYS = ("org", "residence_grid", "reported_to")
UNINDEXED = "_whole_"


def _read_whole(scope: Scope) -> bool:
    """A scope at the zone's root (a district) sees most tally rows: SQLite then reads the
    table whole, checking each row's keys against the scope's lists of nodes, rather than
    probing each key's index for every organization and region of the zone (23 against 14 ms
    for 12,000 rows at a million members; a town's 1 ms through the indexes)."""
    roots = (scope.org_path, scope.region_path)
    return all(path is not None and len(path) <= STEP_WIDTH for path in roots)


def _keyed(tallies: QuerySet, keys: tuple[str, ...], scope: Scope) -> tuple[QuerySet, str]:
    """The tallies with their keys as SQLite must not drive by when the scope is the zone's
    (core.lookups.Unindexed; PostgreSQL judges by its statistics), and the prefix naming them."""
    if not _read_whole(scope):
        return tallies, ""
    aliases = {f"{UNINDEXED}{key}": Unindexed(f"{key}_id") for key in keys}
    return tallies.alias(**aliases), UNINDEXED


def floating_in_scope(scope: Scope) -> QuerySet:
    tallies, prefix = _keyed(FloatingTally.objects.all(), FLOATING_KEYS, scope)
    return tallies.filter(floating_scope_q(scope, prefix)).exclude(n=0)


def in_scope(scope: Scope) -> QuerySet:
    tallies, prefix = _keyed(MemberTally.objects.all(), MEMBER_KEYS, scope)
    return tallies.filter(scope_q(scope, prefix)).exclude(n=0)


def total(tallies: QuerySet) -> int:
    return tallies.aggregate(n=Sum("n"))["n"] or 0


def member_count(scope: Scope, q: Q | None = None) -> int:
    """Not-deleted members `scope` sees (narrowed by `q` over the tally's fields)."""
    tallies = in_scope(scope)
    return total(tallies.filter(q) if q is not None else tallies)
