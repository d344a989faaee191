"""`heli bench tree [--nodes N]`: subtree queries at scale, as ratios against a baseline.
`heli bench import [--rows N]`: the member import against the floor of the same work."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from heli.core.bench import bench_import, bench_tree
from heli.core.scoping import Scope, activate


class Command(BaseCommand):
    help = "Benchmarks (nothing is kept: the data is rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["tree", "import"])
        parser.add_argument("--nodes", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--rows", type=int, default=100_000, help="rows of the import file")

    def handle(self, *args, what: str, nodes: int, runs: int, rows: int, **options):
        if what == "import":
            bench_import(rows, self.stdout.write)
            return
        with activate(Scope.everything()):
            results = bench_tree(nodes, runs, self.stdout.write)
        self.stdout.write(f"{'query':<58}{'ms':>9}{'baseline ms':>13}{'ratio':>8}")
        for r in results:
            self.stdout.write(
                f"{r.label:<58}{r.seconds * 1000:>9.2f}{r.baseline * 1000:>13.2f}{r.ratio:>8.2f}"
            )
        self.stdout.write(
            "baseline: an indexed primary-key range scan over as many rows, same database, same run"
        )
