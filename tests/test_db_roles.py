"""On PostgreSQL the application connects as a role that owns nothing: `heli db_grant`, run
as the owner, gives it exactly the rows' work (SELECT, INSERT, UPDATE, DELETE; only SELECT and
INSERT on history) and nothing that could rewrite history (no TRUNCATE, no trigger changes).

The role comes from `.ci/run` (CREATE ROLE heli_app LOGIN PASSWORD 'heli_app'); its URL from
HELI_TEST_APP_DATABASE_URL (the database name is replaced by the test database's). Without the
role these tests skip, unless HELI_REQUIRE_APP_ROLE=1 (scripts/test.sh): then they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from heli.audit.services import Actor
from heli.cli import database_environment
from heli.core.history import history_models
from heli.members.services import delete_member, restore_member
from heli.mobility.floating import add_event
from tests.history import add_history

APP_URL = os.environ.get(
    "HELI_TEST_APP_DATABASE_URL", "postgres://heli_app:heli_app@127.0.0.1:5432/heli"
)
ROLE = urlsplit(APP_URL).username

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles and privileges are PostgreSQL's"
)


@pytest.fixture
def app(transactional_db, world):
    """A connection as the application's role to the test database, after the owner's grant;
    committed data (transactional_db), so that both connections see the world."""
    add_history(world)
    try:
        app_connection = psycopg.connect(
            urlsplit(APP_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl(),
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        message = f"cannot connect as the application role {ROLE} ({APP_URL}): {error}"
        if os.environ.get("HELI_REQUIRE_APP_ROLE") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    call_command("db_grant", "--role", ROLE)
    with app_connection:
        yield app_connection


@contextmanager
def _django_as_the_app_role() -> Iterator[None]:
    """The test's Django connection as the application's role, as the server's would be; the
    owner's again afterwards (the test runner's flush needs it)."""
    settings_dict, url = connection.settings_dict, urlsplit(APP_URL)
    owner = settings_dict["USER"], settings_dict["PASSWORD"]
    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = url.username, url.password
    try:
        yield
    finally:
        connection.close()
        settings_dict["USER"], settings_dict["PASSWORD"] = owner


def _refused(app_connection, sql: str) -> str:
    with pytest.raises(psycopg.Error) as error:
        app_connection.execute(sql)
    return str(error.value)


def _history_tables() -> list[str]:
    return [model._meta.db_table for model in history_models()]


@postgresql_only
def test_the_app_role_owns_no_table_and_has_exactly_its_grants(app):
    tables = connection.introspection.table_names()
    history = set(_history_tables())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s",
            [ROLE],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT tablename FROM pg_tables WHERE tableowner = %s", [ROLE])
        assert cursor.fetchall() == []
        for table in tables:
            rights = {}
            for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [ROLE, table, right])
                rights[right] = cursor.fetchone()[0]
            writes = table not in history
            expected = {"SELECT": True, "INSERT": True, "UPDATE": writes, "DELETE": writes}
            assert rights == {**expected, "TRUNCATE": False, "TRIGGER": False}, table
        cursor.execute(
            "SELECT has_schema_privilege(%s, 'public', 'USAGE'), "
            "has_schema_privilege(%s, 'public', 'CREATE')",
            [ROLE, ROLE],
        )
        assert cursor.fetchone() == (True, False)


@postgresql_only
def test_the_app_role_reads_writes_and_appends(app, world):
    app.execute("UPDATE members_member SET name = name WHERE id = %s", [world.member_a.pk])
    app.execute("INSERT INTO core_ratecounter (key, slot, hits) VALUES ('p9', 1, 1)")
    app.execute("DELETE FROM core_ratecounter WHERE key = 'p9'")
    for table in _history_tables():
        columns = ", ".join(
            column.name
            for column in connection.introspection.get_table_description(connection.cursor(), table)
            if column.name != "id"
        )
        before = app.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        app.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} ORDER BY id LIMIT 1"
        )
        assert app.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == before + 1, table


@postgresql_only
def test_the_application_works_as_its_role(app, world, client):
    district = Actor(user=world.users["district_admin"])
    with _django_as_the_app_role():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (ROLE,)
        # Rows locked, updated and appended to history, each audited.
        delete_member(district, world.member_a, "重复录入")
        restore_member(district, world.member_a)
        add_event(district, world.outflow_record_a, "contact", note="as the app role")
        client.force_login(world.users["district_admin"])
        assert client.get(reverse("control:member_list")).status_code == 200
        assert (
            client.get(reverse("control:member_detail", args=[world.member_a.pk])).status_code
            == 200
        )
    assert world.member_a.changes.count() == 2


@postgresql_only
def test_the_app_role_cannot_rewrite_truncate_or_disarm_history(app):
    for table in _history_tables():
        for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
            assert "permission denied" in _refused(app, sql), sql
        for sql in (
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            f"DROP TRIGGER {table}_append_only ON {table}",
        ):
            assert "must be owner" in _refused(app, sql), sql
        create = f"CREATE TRIGGER p9 BEFORE INSERT ON {table} EXECUTE FUNCTION heli_append_only()"
        assert "permission denied" in _refused(app, create)
    # The maintenance flag is anyone's to set, and opens nothing without the privileges.
    app.execute("SET heli.maintenance = 'on'")
    assert "permission denied" in _refused(app, "TRUNCATE audit_auditentry")
    assert "permission denied" in _refused(app, "DELETE FROM audit_auditentry")
    assert "permission denied" in _refused(app, "CREATE TABLE p9 (x int)")


@postgresql_only
@pytest.mark.django_db
def test_the_grant_refuses_the_owner_itself_and_an_unknown_role():
    with pytest.raises(CommandError, match="owner"):
        call_command("db_grant", "--role", connection.settings_dict["USER"])
    with pytest.raises(CommandError, match="no role"):
        call_command("db_grant", "--role", "no_such_role_p9")


@pytest.mark.django_db
def test_the_grant_is_for_postgresql_only():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite has no roles to grant to")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("db_grant", "--role", "heli_app")


def test_schema_commands_connect_as_the_owner_when_its_url_is_set():
    environ = {"HELI_DATABASE_URL": "postgres://app@db/heli", "HELI_MIGRATE_DATABASE_URL": "o"}
    for command in ("migrate", "db_grant", "flush", "restore"):
        assert database_environment([command, "-v0"], environ)["HELI_DATABASE_URL"] == "o"
    for argv in (["runserver"], ["worker", "--once"], ["backup"], ["dbshell"], []):
        assert database_environment(argv, environ) == environ
    alone = {"HELI_DATABASE_URL": "postgres://app@db/heli"}
    assert database_environment(["migrate"], alone) == alone
