"""`heli backup` and `heli restore` (#10 part 15): the world is backed up, restored into a
fresh empty database by a `heli` subprocess pointed at it, and the restored database holds
every row of the manifest and the same audit log (checked by `heli audit verify` where the
command exists)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.db import connection

from heli.audit.models import AuditEntry
from heli.core import backups
from heli.members.models import Member
from tests.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = connection.vendor == "postgresql"
AUDIT_COLUMNS = "id, action, object_type, object_id, username, detail"


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    call_command("backup", output=str(tmp_path))
    [dump] = [p for p in tmp_path.iterdir() if not p.name.endswith(backups.MANIFEST_SUFFIX)]
    manifest = json.loads(Path(f"{dump}{backups.MANIFEST_SUFFIX}").read_text())
    return dump, manifest


@contextmanager
def _empty_database(tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """A fresh empty database: the URL a `heli` subprocess is pointed at, and how to open it."""
    if not POSTGRES:
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", {"path": path}
        return
    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = (
        f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}"
        f":{params['PORT'] or 5432}/{name}"
    )
    try:
        yield url, {**params, "NAME": name}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(target: dict, sql: str) -> list[tuple]:
    if not POSTGRES:
        with sqlite3.connect(target["path"]) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(
        dbname=target["NAME"],
        user=target["USER"],
        password=target["PASSWORD"],
        host=target["HOST"] or "127.0.0.1",
        port=target["PORT"] or 5432,
    ) as db:
        return db.execute(sql).fetchall()


def _heli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELI_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "heli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _plain(detail) -> dict:
    return json.loads(detail) if isinstance(detail, str) else detail


def test_a_backup_and_its_manifest_are_private_and_describe_the_database(tmp_path):
    build_world()
    dump, manifest = _backup(tmp_path)
    for path in (dump, Path(f"{dump}{backups.MANIFEST_SUFFIX}")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert dump.name.startswith(f"heli-{connection.vendor}-")
    assert manifest["vendor"] == connection.vendor
    assert manifest["heli_version"]
    assert manifest["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert manifest["migrations"]["members"].startswith("00")
    assert manifest["counts"]["members_member"] == Member.unscoped.count() > 0
    # The backup is audited after the snapshot: the manifest counts the log without it.
    entry = AuditEntry.unscoped.get(action="system.backup")
    assert entry.detail["sha256"] == manifest["sha256"]
    assert manifest["counts"]["audit_auditentry"] == AuditEntry.unscoped.count() - 1


def test_a_backup_restored_into_an_empty_database_has_every_row_and_the_same_audit_log(tmp_path):
    build_world()
    dump, manifest = _backup(tmp_path)
    entries = [
        (e.id, e.action, e.object_type, e.object_id, e.username, e.detail)
        for e in AuditEntry.unscoped.order_by("id")
        if e.action != "system.backup"
    ]
    with _empty_database(tmp_path) as (url, target):
        restored = _heli(url, "restore", str(dump))
        assert restored.returncode == 0, restored.stderr
        assert "members_member" in restored.stdout
        counts = {
            table: _query(target, f'SELECT COUNT(*) FROM "{table}"')[0][0]
            for table in manifest["counts"]
        }
        # Every table as backed up, and the restore's own audit entry on top.
        assert counts == {
            **manifest["counts"],
            "audit_auditentry": manifest["counts"]["audit_auditentry"] + 1,
        }
        rows = _query(target, f"SELECT {AUDIT_COLUMNS} FROM audit_auditentry ORDER BY id")
        *before, last = [(*row[:5], _plain(row[5])) for row in rows]
        assert before == entries
        assert last[1] == "system.restore" and last[5]["sha256"] == manifest["sha256"]
        if "audit" in get_commands():
            verified = _heli(url, "audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr


def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    build_world()
    dump, _manifest = _backup(tmp_path)
    members = Member.unscoped.count()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(dump))
    assert Member.unscoped.count() == members
    assert not AuditEntry.unscoped.filter(action="system.restore").exists()


def test_restore_refuses_a_dump_that_does_not_match_its_manifest(tmp_path):
    build_world()
    dump, _manifest = _backup(tmp_path)
    with dump.open("ab") as changed:
        changed.write(b"\0")
    with _empty_database(tmp_path) as (url, target):
        restored = _heli(url, "restore", str(dump))
        assert restored.returncode != 0
        assert "sha256" in restored.stderr
        tables = (
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            if not POSTGRES
            else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        assert _query(target, tables) == []


@pytest.mark.skipif(not POSTGRES, reason="pg_dump is the PostgreSQL backup")
def test_pg_dump_gets_the_password_from_the_environment_never_from_its_arguments(
    tmp_path, monkeypatch
):
    calls = []
    real = subprocess.run

    def spy(args, **kwargs):
        calls.append((args, kwargs.get("env") or {}))
        return real(args, **kwargs)

    monkeypatch.setattr(backups.subprocess, "run", spy)
    build_world()
    _backup(tmp_path)
    password = connection.settings_dict["PASSWORD"]
    [(args, env)] = [c for c in calls if Path(c[0][0]).name == "pg_dump"]
    assert "--format=custom" in args
    assert not any(password in arg for arg in args)
    assert env["PGPASSWORD"] == password
