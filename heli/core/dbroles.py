"""PostgreSQL privileges of the application's role (`heli db_grant`).

The owner of the tables runs the migrations; the server and the worker connect as a role that
owns nothing and holds exactly: USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on ordinary
tables; SELECT, INSERT on the history tables (`heli.core.history`); USAGE, SELECT on sequences.
No TRUNCATE, no TRIGGER, no REFERENCES, and no ownership, so it can neither empty history nor
disable or drop its triggers (both need ownership). Default privileges give the same to tables
and sequences the owner creates later, so a new migration's ordinary table works at once; a
new history table gets its narrower grant when `heli db_grant` runs again, which the deployment
does after every `heli migrate` (its triggers refuse changes meanwhile).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from heli.core.history import history_models


class GrantError(Exception):
    """The role cannot be the application's role."""


def grant_statements(
    role: str, schema: str, history_tables: list[str], quote=lambda name: f'"{name}"'
) -> list[str]:
    """Every statement, in order: take back all the role has, then grant exactly its share."""
    r, s = quote(role), quote(schema)
    history = ", ".join(f"{s}.{quote(table)}" for table in history_tables)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE UPDATE, DELETE ON {history} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


def grant(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """Grant `role` the application's privileges, as the owner connected by `connection`
    (inside the caller's transaction). Answers the statements run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        if role == owner:
            raise GrantError(f"{role} is the owner this command runs as, not the application")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise GrantError(f"there is no role {role}: CREATE ROLE {role} LOGIN PASSWORD …")
        if found[0]:
            raise GrantError(f"{role} is a superuser: the application needs a plain role")
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE r.rolname = %s AND n.nspname = %s",
            [role, schema],
        )
        if cursor.fetchone()[0]:
            raise GrantError(f"{role} owns tables in {schema}: migrate as another role")
        statements = grant_statements(
            role,
            schema,
            [model._meta.db_table for model in history_models()],
            connection.ops.quote_name,
        )
        for statement in statements:
            cursor.execute(statement)
    return statements
