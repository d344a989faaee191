"""`heli audit verify`: check the audit chain and the seals of every history table.

Walks each table in id order in batches (constant memory; progress on stderr for a large
table), names the first entry or row that does not verify (id, time, what is wrong) and exits
non-zero; prints how many were checked when all is well."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from heli.audit import chain


class Command(BaseCommand):
    help = "Verify the audit log's chain and the seals of the history tables."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify"])

    def handle(self, *args, what: str, **options):
        progress = self.stderr.write
        count, broken = chain.verify_chain(progress)
        problems = [broken] if broken else []
        counts = [f"{count} audit entries"]
        for model in chain.sealed_models():
            rows, bad = chain.verify_seals(model, progress)
            counts.append(f"{rows} {model._meta.db_table} rows")
            if bad:
                problems.append(bad)
        if problems:
            raise CommandError("the history was changed: " + "; ".join(str(p) for p in problems))
        self.stdout.write(f"{', '.join(counts)} checked: all intact.")
