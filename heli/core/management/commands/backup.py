"""`heli backup [--output PATH]`: a consistent copy of the whole database and its manifest
(see heli.core.backups), audited as `system.backup`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from heli.audit.services import Actor, record
from heli.core import backups


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) with a manifest beside it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="a folder (the file is named with the time) or a file path; "
            "default HELI_BACKUP_DIR",
        )

    def handle(self, *args, output: str | None = None, **options):
        try:
            result = backups.backup(output)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        record(
            Actor.system("heli backup"),
            "system.backup",
            detail={
                "file": result.path.name,
                "sha256": manifest["sha256"],
                "rows": sum(result.counts.values()),
            },
        )
        self.stdout.write(f"{result.path}")
        self.stdout.write(f"{backups.manifest_path(result.path)}")
        self.stdout.write(
            f"{len(result.counts)} tables, {sum(result.counts.values())} rows, "
            f"sha256 {manifest['sha256']}"
        )
