"""Backups of the whole database and their restore into an empty one (`heli backup`,
`heli restore`).

SQLite is copied through the online backup API (`sqlite3.Connection.backup`): one read
transaction, so the copy is consistent while the server writes, WAL content included.
PostgreSQL is dumped by `pg_dump --format=custom` inside an exported snapshot, so that the row
counts of the manifest are those of the dump. Connection details reach `pg_dump` and
`pg_restore` through PG* environment variables: the password never appears in an argument
list (visible to every local user in `ps`) or in a log.

Beside each dump lies its manifest (`<dump>.manifest.json`): heli's version, the database
vendor, the last applied migration per app, the rows per table and the dump's sha256. Both
files are created with mode 0600. The keys (HELI_FIELD_KEY, HELI_DIGEST_KEY) are not in the
database and so not in the backup: keep them apart, a restore is unreadable without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

MANIFEST_SUFFIX = ".manifest.json"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "dump"}
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or the restore cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Result:
    """What a backup wrote or a restore found."""

    path: Path
    manifest: dict[str, Any]
    counts: dict[str, int]
    differences: dict[str, tuple[int, int | None]]  # table: (in the manifest, restored)


def manifest_path(dump: Path) -> Path:
    return Path(f"{dump}{MANIFEST_SUFFIX}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _private_file(path: Path) -> int:
    """Create `path` for writing, readable by its owner only, never over an existing file."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _target(output: str | None, vendor: str) -> Path:
    """The dump's path: `output` itself, or a name with the time inside the folder `output`
    (or HELI_BACKUP_DIR, created for its owner only)."""
    place = Path(output or settings.HELI_BACKUP_DIR)
    if output and not place.is_dir() and not output.endswith(os.sep):
        return place
    place.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return place / f"heli-{vendor}-{stamp}.{EXTENSIONS[vendor]}"


def _tables_sql(vendor: str) -> str:
    if vendor == "sqlite":
        return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"


def describe(cursor: Any, vendor: str) -> tuple[dict[str, int], dict[str, str]]:
    """Rows per table and the last applied migration per app, read through any DB-API cursor
    (the backup's own file or snapshot, or the restored database)."""
    cursor.execute(_tables_sql(vendor))
    tables = sorted(row[0] for row in cursor.fetchall())
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    migrations = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app")
        migrations = dict(sorted(cursor.fetchall()))
    return counts, migrations


def _pg_env(params: dict[str, Any]) -> dict[str, str]:
    """The connection as libpq's environment variables (password included: not in argv)."""
    env = {**os.environ, "PGDATABASE": params["NAME"], "PGUSER": params.get("USER") or ""}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    if params.get("HOST"):
        env["PGHOST"] = params["HOST"]
    if params.get("PORT"):
        env["PGPORT"] = str(params["PORT"])
    if (params.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = params["OPTIONS"]["sslmode"]
    return env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH (install the PostgreSQL client programs)")
    return found


def _backup_sqlite(params: dict[str, Any], target: Path) -> tuple[dict, dict]:
    os.close(_private_file(target))
    source = sqlite3.connect(params["NAME"], timeout=params.get("OPTIONS", {}).get("timeout", 30))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # every page in one step: one consistent read transaction
        return describe(copy.cursor(), "sqlite")
    finally:
        copy.close()
        source.close()


def _backup_postgres(params: dict[str, Any], target: Path) -> tuple[dict, dict]:
    import psycopg

    env = _pg_env(params)
    with psycopg.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    ) as db:
        # The counts and the dump read the same snapshot, held open until pg_dump is done
        # (psycopg begins the transaction at the first statement, with these settings).
        db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        db.read_only = True
        snapshot = db.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts, migrations = describe(db.cursor(), "postgresql")
        fd = _private_file(target)
        with os.fdopen(fd, "wb") as out:
            done = subprocess.run(
                [_program("pg_dump"), "--format=custom", f"--snapshot={snapshot}"],
                stdout=out,
                stderr=subprocess.PIPE,
                env=env,
                check=False,
            )
        db.rollback()
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
    return counts, migrations


def backup(output: str | None = None) -> Result:
    """Write a dump of the configured database and its manifest; returns both."""
    vendor = connection.vendor
    if vendor not in EXTENSIONS:
        raise BackupError(f"heli backs up SQLite and PostgreSQL, not {vendor}")
    params = connection.settings_dict
    target = _target(output, vendor)
    if target.exists():
        raise BackupError(f"{target} exists already: heli never writes over a backup")
    writer = _backup_sqlite if vendor == "sqlite" else _backup_postgres
    counts, migrations = writer(params, target)
    manifest = {
        "heli_version": metadata.version("heli"),
        "vendor": vendor,
        "created_at": timezone.now().isoformat(),
        "file": target.name,
        "migrations": migrations,
        "counts": counts,
        "sha256": sha256_of(target),
    }
    with os.fdopen(_private_file(manifest_path(target)), "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
    return Result(target, manifest, counts, {})


def read_manifest(dump: Path) -> dict[str, Any]:
    """The dump's manifest, after checking that the dump is the file it describes."""
    path = manifest_path(dump)
    if not dump.is_file() or not path.is_file():
        raise BackupError(f"{dump} and its manifest {path.name} must both exist")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if sha256_of(dump) != manifest.get("sha256"):
        raise BackupError(
            f"the sha256 of {dump.name} is not the one in its manifest: the file is damaged "
            "or not the backup the manifest describes"
        )
    return manifest


def existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


@contextmanager
def _closed_connection() -> Iterator[None]:
    """Django's connection closed while another process or handle writes the database."""
    connection.close()
    try:
        yield
    finally:
        connection.close()


def _restore_sqlite(dump: Path, params: dict[str, Any]) -> None:
    with _closed_connection():
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        target = sqlite3.connect(params["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()


def _restore_postgres(dump: Path, params: dict[str, Any]) -> None:
    with _closed_connection():
        done = subprocess.run(
            [
                _program("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={params['NAME']}",
                str(dump),
            ],
            capture_output=True,
            env=_pg_env(params),
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.decode(errors='replace').strip()}")


def restore(dump: Path) -> Result:
    """Restore `dump` into the configured database, which must be empty; returns the restored
    row counts and where they differ from the manifest."""
    manifest = read_manifest(dump)
    vendor = connection.vendor
    if manifest.get("vendor") != vendor:
        raise BackupError(
            f"{dump.name} is a {manifest.get('vendor')} backup; the configured database is {vendor}"
        )
    tables = existing_tables()
    if tables:
        raise BackupError(
            f"the database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
            "tables): heli restores only into an empty database. Create a new one, point "
            "HELI_DATABASE_URL at it and run heli restore again."
        )
    params = connection.settings_dict
    (_restore_sqlite if vendor == "sqlite" else _restore_postgres)(dump, params)
    with connection.cursor() as cursor:
        counts, _migrations = describe(cursor, vendor)
    expected = manifest["counts"]
    differences = {
        table: (expected.get(table, 0), counts.get(table))
        for table in sorted(set(expected) | set(counts))
        if expected.get(table, 0) != counts.get(table)
    }
    return Result(dump, manifest, counts, differences)
