"""`heli restore PATH`: a backup restored into the configured database, which must be empty;
the rows per table are compared with the manifest and reported. Audited as `system.restore`
in the restored database."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heli.audit.services import Actor, record
from heli.core import backups


class Command(BaseCommand):
    help = "Restore a backup of `heli backup` into the configured (empty) database."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the dump; its manifest lies beside it")

    def handle(self, *args, path: str, **options):
        try:
            result = backups.restore(Path(path))
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        expected = result.manifest["counts"]
        for table in sorted(set(expected) | set(result.counts)):
            restored = result.counts.get(table)
            mark = "" if table not in result.differences else "  ≠ manifest"
            self.stdout.write(f"{table}: {restored} (manifest {expected.get(table, 0)}){mark}")
        # Audited after the counts, so the report compares the backup's rows alone.
        record(
            Actor.system("heli restore"),
            "system.restore",
            success=not result.differences,
            detail={
                "file": result.path.name,
                "sha256": result.manifest["sha256"],
                "rows": sum(result.counts.values()),
                "differences": sorted(result.differences),
            },
        )
        if result.differences:
            raise CommandError(
                f"{len(result.differences)} tables differ from the manifest: "
                + ", ".join(sorted(result.differences))
            )
        self.stdout.write(
            f"restored {len(result.counts)} tables, {sum(result.counts.values())} rows, "
            "as in the manifest"
        )
