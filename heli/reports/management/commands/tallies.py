"""`heli tallies check` compares the member and floating tallies with their rows;
`heli tallies rebuild` counts them again from scratch (after a restore into an older schema,
or when check fails)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from heli.reports import tallies


class Command(BaseCommand):
    help = (
        "Check the member and floating tallies against their tables, or count them again (rebuild)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["check", "rebuild"])

    def handle(self, *args, action: str, **options) -> None:
        if action == "rebuild":
            rows = tallies.rebuild()
            self.stdout.write(
                f"{rows} tally rows counted again from the members and floating records."
            )
            return
        wrong = tallies.differences()
        for key, kept, real in wrong:
            self.stdout.write(f"{key}: tally {kept}, members {real}")
        if wrong:
            self.stdout.write(f"{len(wrong)} tallies differ from the rows they count.")
            sys.exit(1)
        self.stdout.write("Every tally equals the rows it counts.")
