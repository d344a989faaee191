"""`heli members anonymize [--dry-run] [--batch N]`: anonymize soft-deleted members past the
retention period (HELI_RETENTION_YEARS after their deletion; heli.privacy.retention). Run it
from cron, e.g. monthly; `--dry-run` says how many are due and changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from heli.audit.services import Actor
from heli.privacy import retention


class Command(BaseCommand):
    help = "Work on the member registry as a whole (anonymize: members past retention)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        anonymize = commands.add_parser(
            "anonymize", help="anonymize soft-deleted members past the retention period"
        )
        anonymize.add_argument("--dry-run", action="store_true", help="count, change nothing")
        anonymize.add_argument("--batch", type=int, default=retention.BATCH)

    def handle(self, *args, action: str, dry_run: bool = False, batch: int = 0, **options):
        now = timezone.now()
        limit = retention.deleted_before(now)
        if limit is None:
            self.stdout.write("HELI_RETENTION_YEARS is 0: members are kept, none anonymized")
            return
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        when = timezone.localtime(limit).date().isoformat()
        years = settings.HELI_RETENTION_YEARS
        if dry_run:
            count = retention.due(now).count()
            self.stdout.write(
                f"{count} member(s) deleted before {when} ({years} years) would be anonymized"
            )
            return
        done = retention.anonymize_due(
            Actor.system("heli members anonymize"), now=now, batch_size=batch
        )
        self.stdout.write(f"anonymized {done} member(s) deleted before {when} ({years} years)")
