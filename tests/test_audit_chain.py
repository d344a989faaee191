"""The audit log as a chain: each entry's digest (HMAC-SM3 with a key the database does not
hold) covers every stored field and the digest of the entry before it; `heli audit verify`
names the first entry that was changed, lost its predecessor or moved."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import subprocess
import sys
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Max

from heli.audit import chain
from heli.audit.models import AppendOnlyError, AuditEntry
from heli.audit.services import Actor, record
from tests import tamper


def _verify() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue()


def _broken() -> str:
    with pytest.raises(CommandError) as failure:
        _verify()
    return str(failure.value)


@pytest.fixture
def entries(world) -> list[AuditEntry]:
    actor = Actor(user=world.users["town_admin"], ip_address="10.1.2.3")
    return [
        record(actor, "org.update", world.branch_a, detail={"name": ["旧", f"新{i}"]})
        for i in range(4)
    ]


@pytest.mark.django_db
def test_each_entry_links_to_the_digest_of_the_entry_before_it(entries):
    for before, after in itertools.pairwise(entries):
        assert after.prev_digest == before.digest
    assert all(re.fullmatch(r"[0-9a-f]{64}", e.digest) for e in entries)
    assert len({e.digest for e in entries}) == len(entries)


@pytest.mark.django_db
def test_the_digest_covers_every_stored_field_the_id_and_the_time(entries):
    entry = AuditEntry.unscoped.get(pk=entries[1].pk)
    assert chain.digest_of(entry) == entry.digest
    changes = {
        "id": entry.id + 1000, "at": entry.at + dt.timedelta(microseconds=1),
        "user_id": None, "username": "town_b", "org_path": "00002", "action": "org.create",
        "object_type": "orgs.region", "object_id": "9", "object_repr": "别的",
        "ip_address": "10.1.2.4", "success": False, "detail": {"name": ["旧", "新"]},
        "prev_digest": "0" * 64,
    }  # fmt: skip
    stored = {f.attname for f in AuditEntry._meta.concrete_fields} - {"digest"}
    assert set(changes) == stored, "a new field must be covered here"
    for attname, value in changes.items():
        altered = AuditEntry.unscoped.get(pk=entry.pk)
        setattr(altered, attname, value)
        assert chain.digest_of(altered) != entry.digest, attname


@pytest.mark.django_db
def test_an_entry_read_back_gives_the_digest_it_was_written_with(world):
    """Canonical form: jsonb reorders keys and PostgreSQL keeps its own number forms, SQLite
    keeps text; the digest of what comes back must be the one computed before the insert."""
    awkward = {"z": 1, "a": [1.5, 1e16, 10**20, -0.25, True, None], "中文": "王 芳\n",
               "nested": {"b": {"y": 2, "x": 1.0}}, "empty": {}, "quote": "\"'\\"}  # fmt: skip
    written = record(
        Actor(user=world.users["district_admin"], ip_address="2001:DB8::1"),
        "member.update",
        world.member_a,
        detail=awkward,
    )
    again = AuditEntry.unscoped.get(pk=written.pk)
    assert chain.digest_of(again) == written.digest == again.digest
    assert again.at == written.at


@pytest.mark.django_db
def test_the_key_is_not_in_the_database_another_key_breaks_every_entry(entries, settings):
    assert "all intact" in _verify()
    settings.AUDIT_KEY = bytes(range(32))
    assert "content changed" in _broken()


@pytest.mark.django_db
def test_verify_prints_how_many_entries_it_checked_when_all_is_well(entries):
    total = AuditEntry.unscoped.count()
    assert re.search(rf"\b{total} audit entries\b.*all intact", _verify(), re.S)


@pytest.mark.django_db
def test_verify_names_an_entry_with_one_byte_changed(entries):
    tamper.flip_a_byte(tamper.AUDIT_TABLE, entries[1].pk, "object_repr")
    message = _broken()
    assert f"audit entry {entries[1].pk} " in message and "content changed" in message
    assert entries[1].at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") in message


@pytest.mark.django_db
def test_verify_names_an_entry_whose_detail_changed_by_one_character(entries):
    tamper.execute(
        "UPDATE audit_auditentry SET detail = %s WHERE id = %s",
        ['{"name": ["旧", "新9"]}', entries[2].pk],
    )
    assert f"audit entry {entries[2].pk} " in _broken()


@pytest.mark.django_db
def test_verify_names_the_entry_after_a_deleted_one(entries):
    tamper.delete_row(tamper.AUDIT_TABLE, entries[1].pk)
    message = _broken()
    assert f"audit entry {entries[2].pk} " in message and "predecessor missing" in message


@pytest.mark.django_db
def test_verify_names_two_entries_that_changed_places(entries):
    tamper.swap_rows(tamper.AUDIT_TABLE, entries[1].pk, entries[2].pk)
    message = _broken()
    assert f"audit entry {entries[1].pk} " in message and "order changed" in message


@pytest.mark.django_db
def test_verify_names_an_entry_written_past_record_without_a_digest(entries):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, username, org_path, action, object_type,"
            " object_id, object_repr, success, detail, digest, prev_digest)"
            " VALUES (%s, 'x', '', 'org.update', '', '', '', %s, '{}', '', %s)",
            [entries[-1].at, True, entries[-1].digest],
        )
    assert "content changed" in _broken()


@pytest.mark.django_db
def test_entries_are_appended_only_one_at_a_time_through_record(entries):
    with pytest.raises(AppendOnlyError):
        AuditEntry.unscoped.bulk_create([AuditEntry(action="org.update")])


@pytest.mark.django_db
def test_verify_walks_in_batches_and_reports_progress_for_a_large_table(entries, monkeypatch):
    monkeypatch.setattr(chain, "BATCH", 2)
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    assert "all intact" in out.getvalue() and "audit entries checked" in err.getvalue()
    tamper.delete_row(tamper.AUDIT_TABLE, entries[-2].pk)
    assert f"audit entry {entries[-1].pk} " in _broken()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_link_to_the_same_predecessor():
    """Eight threads, each its own connection and transaction, append at once; each waits a
    moment after its entry so that the others queue behind the chain's lock."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a database file")
    start = threading.Barrier(8)
    errors = []

    def append(n: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                record(Actor.system(f"writer{n}"), "demo.build", detail={"n": n})
                threading.Event().wait(0.05)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    links = list(AuditEntry.unscoped.order_by("id").values_list("prev_digest", flat=True))
    assert len(links) == len(set(links)) >= 8
    assert "all intact" in _verify()
    assert AuditEntry.unscoped.aggregate(Max("id"))["id__max"] >= 8


def _settings_error(**env: str) -> str:
    """What importing the settings says with this environment (empty when it starts)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HELI_")}
    base.update(HELI_SECRET_KEY="s" * 50, HELI_FIELD_KEY="0" * 32, HELI_DIGEST_KEY="1" * 32)
    done = subprocess.run(
        [sys.executable, "-c", "import heli.settings"],
        env={**base, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.stderr.strip().splitlines()[-1] if done.returncode else ""


def test_the_audit_key_is_required_outside_development_and_must_be_32_bytes():
    assert "HELI_AUDIT_KEY is required" in _settings_error()
    assert "HELI_AUDIT_KEY must be 32 bytes" in _settings_error(HELI_AUDIT_KEY="ab" * 16)
    assert _settings_error(HELI_AUDIT_KEY="ab" * 32) == ""
    assert _settings_error(HELI_DEBUG="1") == ""
