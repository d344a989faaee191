"""The database itself refuses to rewrite history: triggers on every append-only table refuse
UPDATE and DELETE (both databases) and TRUNCATE (PostgreSQL), unless the owner's session is in
maintenance (the test runner's flush, the demo's reset)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from heli.core.history import history_models, maintenance
from tests.history import add_history

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE and its triggers exist on PostgreSQL only"
)


def _refused(sql: str, params=()) -> str:
    """Run a statement that must fail; answer the database's message."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(error.value)


@pytest.fixture
def history(world):
    return add_history(world)


def _pending_checks_done() -> None:
    """PostgreSQL cannot TRUNCATE a table with foreign-key checks deferred to the commit of the
    test's transaction: run them now, as a committed transactional test would have."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _first_id(model) -> int:
    first = model._base_manager.order_by("pk").values_list("pk", flat=True).first()
    assert first is not None, f"the world holds no {model._meta.label} row to tamper with"
    return first


def test_the_history_tables_are_the_append_only_models_and_member_changes_among_them():
    labels = {model._meta.label for model in history_models()}
    assert labels >= {
        "audit.AuditEntry",
        "letters.LetterEvent",
        "transfers.TransferStep",
        "mobility.FloatingEvent",
        "campaigns.TaskEvent",
        "members.MemberChange",
    }


@pytest.mark.django_db
def test_the_database_refuses_updates_and_deletes_of_every_history_row(history):
    for model in history_models():
        table, pk = model._meta.db_table, _first_id(model)
        update = _refused(f"UPDATE {table} SET id = id WHERE id = %s", [pk])
        delete = _refused(f"DELETE FROM {table} WHERE id = %s", [pk])
        assert "append-only" in update and "append-only" in delete, table
        assert model._base_manager.filter(pk=pk).exists()


@postgresql_only
@pytest.mark.django_db
def test_postgresql_refuses_to_truncate_every_history_table(history):
    _pending_checks_done()
    for model in history_models():
        table = model._meta.db_table
        assert "append-only" in _refused(f"TRUNCATE {table} CASCADE"), table
        assert model._base_manager.exists()


@pytest.mark.django_db
def test_maintenance_lets_the_owner_empty_history_and_ends_with_its_block(history):
    first, second = list(history_models()[0]._base_manager.order_by("pk")[:2])
    table = type(first)._meta.db_table
    with maintenance(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [first.pk])
    assert "append-only" in _refused(f"DELETE FROM {table} WHERE id = %s", [second.pk])
    assert not type(first)._base_manager.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_a_failed_maintenance_block_leaves_the_guard_on(history):
    model = history_models()[0]
    with pytest.raises(RuntimeError), maintenance():
        raise RuntimeError("the owner's work failed half-way")
    assert "append-only" in _refused(f"DELETE FROM {model._meta.db_table}")


@pytest.mark.django_db
def test_the_test_runners_flush_still_empties_every_table(history):
    _pending_checks_done()
    call_command("flush", interactive=False, verbosity=0)
    for model in history_models():
        assert not model._base_manager.exists(), model._meta.label
