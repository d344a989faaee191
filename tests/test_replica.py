"""Reads of list and report pages from a streaming replica (heli.core.replica).

Two kinds of replica, chosen on purpose:

- Most tests use Django's test mirror (`TEST: {"MIRROR": "default"}`, what `configure` sets):
  the replica's alias is a second connection to the test database itself, so every query
  can be counted per alias on SQLite and PostgreSQL alike. A second connection cannot see the
  uncommitted transaction a plain `db` test runs in, so these tests commit their data
  (`transactional_db`, TransactionTestCase semantics); a page read from the mirror therefore
  shows what the primary holds, which says nothing about lag.
- The lag test needs a real PostgreSQL streaming replica of the test server
  (`HELI_TEST_REPLICA_URL`; `.ci/run` makes one with `pg_basebackup -R` on port 5433). The
  test database the runner creates on the primary is streamed to it, and committed data
  (`transactional_db` again) reaches it within moments. Replay is then paused
  (`pg_wal_replay_pause()`, which `.ci/run` grants the test role) so the replica lags for as
  long as the test needs, and resumed afterwards whatever happens. Without a replica this test
  skips, unless HELI_REQUIRE_REPLICA=1 (scripts/test.sh, as CI runs it): then it fails.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.core import replica
from heli.core.scoping import Scope, activate
from heli.members.models import Member

REPLICA_URL = os.environ.get("HELI_TEST_REPLICA_URL", "")


REPLICA_DB = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, replica.REPLICA])


@pytest.fixture
def mirror(world, settings) -> None:
    """The router on, as `configure` installs it; the replica's alias is the test run's mirror
    of the primary (tests/conftest.py)."""
    settings.DATABASE_ROUTERS = [replica.ROUTER]


@contextmanager
def queries() -> Iterator[dict[str, list[str]]]:
    """The SQL each alias ran within, by alias."""
    seen: dict[str, list[str]] = {}
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[replica.REPLICA]) as copy,
    ):
        yield seen
    seen["primary"] = [q["sql"] for q in primary.captured_queries]
    seen["replica"] = [q["sql"] for q in copy.captured_queries]


def _reading(sqls: list[str], table: str) -> list[str]:
    return [sql for sql in sqls if sql.startswith("SELECT") and f'"{table}"' in sql]


def _writing(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if sql.split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE")]


def _names(response) -> set[str]:
    return {member.name for member in response.context["page"]}


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_a_list_page_reads_its_rows_from_the_replica_and_the_login_from_the_primary(
    world, client_for
):
    client = client_for(world.users["district_admin"])
    with queries() as seen:
        response = client.get(reverse("control:member_list"))
    assert response.status_code == 200 and "张伟" in _names(response)
    assert _reading(seen["replica"], "members_member"), "the list's rows come from the replica"
    assert not _reading(seen["primary"], "members_member")
    assert _reading(seen["primary"], "django_session"), "the session is the primary's"
    assert not _reading(seen["replica"], "django_session")


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_the_scope_holds_on_the_replica(world, client_for):
    client = client_for(world.users["outsider"])
    with queries() as seen:
        response = client.get(reverse("control:member_list"))
    shown = _names(response)
    assert "李娜" in shown and "张伟" not in shown, "town B sees its own members only"
    assert _reading(seen["replica"], "members_member")
    other = reverse("control:member_detail", kwargs={"pk": world.member_a.pk})
    assert client.get(other).status_code == 404


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_the_desk_and_the_report_read_the_replica(world, client_for):
    client = client_for(world.users["district_admin"])
    for name in ("control:dashboard", "control:floating_report"):
        with queries() as seen:
            assert client.get(reverse(name)).status_code == 200
        # Their figures come from the member tallies and the floating records.
        for table in ("reports_membertally", "mobility_floatingrecord"):
            assert _reading(seen["replica"], table), (name, table)
            assert not _reading(seen["primary"], table), (name, table)


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_an_export_reads_the_replica_and_writes_its_audit_entry_to_the_primary(world, client_for):
    client = client_for(world.users["district_admin"])
    with activate(Scope.everything()):
        before = AuditEntry.objects.filter(action="member.export").count()
    with queries() as seen:
        response = client.get(reverse("control:member_list") + "?export=xlsx")
    assert response.status_code == 200
    assert _reading(seen["replica"], "members_member")
    assert any(sql.startswith("INSERT") for sql in seen["primary"])
    assert not _writing(seen["replica"])
    with activate(Scope.everything()):
        assert AuditEntry.objects.filter(action="member.export").count() == before + 1


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_after_a_change_the_same_browser_reads_the_primary_for_a_few_seconds(
    world, client_for, settings
):
    client = client_for(world.users["district_admin"])
    delete = reverse("control:member_delete", kwargs={"pk": world.member_a.pk})
    response = client.post(delete, {"reason": "重复录入"})
    assert response.status_code == 302
    mark = response.cookies[replica.STICKY_COOKIE]
    assert mark["max-age"] == settings.HELI_REPLICA_STICKY_SECONDS == 10
    assert mark["httponly"] and mark["samesite"] == "Lax"
    with queries() as seen:
        response = client.get(reverse("control:member_list"))
    assert "张伟" not in _names(response)
    assert seen["replica"] == [], "within the mark every read is the primary's"
    client.cookies[replica.STICKY_COOKIE] = f"{time.time() - 1:.3f}"  # the mark ran out
    with queries() as seen:
        client.get(reverse("control:member_list"))
    assert _reading(seen["replica"], "members_member")


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_a_refused_change_sets_no_mark(world, client_for):
    client = client_for(world.users["department_liaison"])  # reads only
    delete = reverse("control:member_delete", kwargs={"pk": world.member_a.pk})
    response = client.post(delete, {"reason": "重复录入"})
    assert response.status_code == 403
    assert replica.STICKY_COOKIE not in response.cookies


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_an_anonymous_post_sets_no_mark(world, client):
    response = client.post(reverse("login"), {"username": "district", "password": "wrong"})
    assert response.status_code == 200 and replica.STICKY_COOKIE not in response.cookies


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_a_transaction_never_touches_the_replica(world):
    with activate(Scope.everything()), replica.replica_reads():
        with queries() as seen, transaction.atomic():
            assert Member.objects.filter(name="张伟").exists()
            Member.objects.filter(pk=world.member_b.pk).update(notes="已核对")
        assert seen["replica"] == []
        with queries() as seen:
            Member.objects.filter(pk=world.member_b.pk).update(notes="再核对")
        assert seen["replica"] == [], "a write outside a transaction goes to the primary too"
        with queries() as seen:
            assert Member.objects.filter(name="张伟").exists()
        assert seen["primary"] == [] and len(seen["replica"]) == 1


@REPLICA_DB
@pytest.mark.usefixtures("mirror")
def test_other_pages_and_commands_read_the_primary(world, client_for):
    client = client_for(world.users["district_admin"])
    with queries() as seen:
        detail = reverse("control:member_detail", kwargs={"pk": world.member_a.pk})
        assert client.get(detail).status_code == 200
        call_command("members", "anonymize", "--dry-run")
    assert seen["replica"] == []


@pytest.mark.django_db
def test_without_a_replica_a_change_sets_no_mark(world, client_for):
    client = client_for(world.users["district_admin"])
    delete = reverse("control:member_delete", kwargs={"pk": world.member_a.pk})
    response = client.post(delete, {"reason": "重复录入"})
    assert response.status_code == 302 and replica.STICKY_COOKIE not in response.cookies


def test_the_replica_is_configured_from_its_variable_only():
    databases: dict[str, dict] = {}
    assert replica.configure(databases, None, 600) == [] and databases == {}
    url = "postgres://heli_app:secret@10.0.0.2:5432/heli"
    assert replica.configure(databases, url, 600) == [replica.ROUTER]
    copy = databases[replica.REPLICA]
    assert (copy["HOST"], copy["PORT"], copy["CONN_MAX_AGE"]) == ("10.0.0.2", 5432, 600)
    assert copy["TEST"] == {"MIRROR": "default"}


# A real streaming replica (PostgreSQL only).


def _unavailable(reason: str) -> None:
    if os.environ.get("HELI_REQUIRE_REPLICA") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _streaming_settings() -> dict:
    """The primary's test database, at the replica's address."""
    if connection.vendor != "postgresql":
        pytest.skip("streaming replication is PostgreSQL's")
    if not REPLICA_URL:
        _unavailable("HELI_TEST_REPLICA_URL is not set (.ci/run makes a replica on port 5433)")
    url = dj_database_url.parse(REPLICA_URL)
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    where = {key: url[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}
    return {**primary, **where, "TEST": {**primary["TEST"], "MIRROR": "default"}}


def _caught_up(timeout: float = 60) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[replica.REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def _replay(action: str) -> None:
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute(f"SELECT pg_wal_replay_{action}()")


@contextmanager
def _replica_at(settings_dict: dict) -> Iterator[None]:
    """The replica's alias connected elsewhere than the mirror for a while."""
    copy = connections[replica.REPLICA]
    mirrored = copy.settings_dict
    copy.close()
    copy.settings_dict = settings_dict
    try:
        yield
    finally:
        copy.close()
        copy.settings_dict = mirrored


@pytest.fixture
def lagging(mirror) -> Iterator[None]:
    """A streaming replica of the test database that has stopped replaying the primary."""
    with _replica_at(_streaming_settings()):
        try:
            connections[replica.REPLICA].ensure_connection()
        except OperationalError as error:
            _unavailable(f"cannot connect to the replica at {REPLICA_URL}: {error}")
        with connections[replica.REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0], f"{REPLICA_URL} is not a replica"
        _caught_up()
        _replay("pause")
        try:
            yield
        finally:
            _replay("resume")


@REPLICA_DB
@pytest.mark.usefixtures("lagging")
def test_the_page_after_a_change_shows_it_while_the_replica_lags(world, client_for):
    client = client_for(world.users["district_admin"])
    with queries() as seen:
        assert "张伟" in _names(client.get(reverse("control:member_list")))
    assert _reading(seen["replica"], "members_member"), "read from the streaming replica"

    delete = reverse("control:member_delete", kwargs={"pk": world.member_a.pk})
    assert client.post(delete, {"reason": "重复录入"}).status_code == 302
    assert "张伟" not in _names(client.get(reverse("control:member_list"))), (
        "the browser that changed something reads the primary"
    )

    elsewhere = Client()
    elsewhere.force_login(world.users["district_admin"])
    assert "张伟" in _names(elsewhere.get(reverse("control:member_list"))), (
        "another browser still reads the lagging replica"
    )
    export = elsewhere.get(reverse("control:member_list") + "?export=xlsx")
    assert export.status_code == 200, "a hot standby streams an export (a server-side cursor)"
    _replay("resume")
    _caught_up()
    assert "张伟" not in _names(elsewhere.get(reverse("control:member_list")))
