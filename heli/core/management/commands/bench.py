"""`heli bench tree [--nodes N]`: subtree queries at scale, as ratios against a baseline.
`heli bench import [--rows N ...] [--runs 3] [--profile]`: the member import end to end against
the floor of the same work (default 100,000 and 200,000 rows; medians of the runs).
`heli bench checkin [--db sqlite|postgres|both] [--connections 32] [--seconds 15] [--workers N]`:
check-ins per second on a gunicorn server against a one-read-one-insert view (needs wrk).
`heli bench export [--rows N]`: the member export end to end against writing the same stored
rows (default 200,000 rows; rolled back).
`heli bench world [--members 1000000] [--audit N]`: a province-scale zone in the configured
database, which is emptied first (its name or path must contain "bench").
`heli bench pages [--rounds 3] [--roles district,town,grid] [--fail-over MS] [--only a,b]`: every
staff page on that zone (or those whose name holds one of `--only`'s substrings), p50/p95 and
queries against a baseline page."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from heli.bench import export as export_bench
from heli.core.bench import bench_tree
from heli.core.scoping import Scope, activate
from heli.members.imports import bench as import_bench


class Command(BaseCommand):
    help = "Benchmarks (tree and import keep nothing; checkin uses its own database)."

    def add_arguments(self, parser):
        from heli.bench.checkin import POSTGRES_URL, Options

        defaults = Options()
        parser.add_argument(
            "what", choices=["tree", "import", "checkin", "export", "world", "pages"]
        )
        parser.add_argument("--nodes", type=int, default=100_000)
        parser.add_argument(
            "--runs", type=int, default=None, help="tree: 5 by default; import: 3 (medians)"
        )
        parser.add_argument(
            "--rows",
            type=int,
            nargs="+",
            default=None,
            help="import: rows of the import file, one file per size (100,000 and 200,000); "
            "export: members exported (200,000)",
        )
        parser.add_argument(
            "--profile", action="store_true", help="import: where the time goes (cProfile)"
        )
        parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
        parser.add_argument("--connections", type=int, default=defaults.connections)
        parser.add_argument(
            "--seconds", type=int, default=defaults.seconds, help="of load per endpoint"
        )
        parser.add_argument(
            "--workers", type=int, default=defaults.workers, help="gunicorn sync workers"
        )
        parser.add_argument(
            "--members",
            type=int,
            default=None,
            help=f"members in the bench database (checkin: {defaults.members:,}; world: 1,000,000)",
        )
        parser.add_argument("--audit", type=int, default=None, help="world: audit entries")
        parser.add_argument("--rounds", type=int, default=3, help="pages: requests per page")
        parser.add_argument("--roles", default="district,town,grid", help="pages: who walks")
        parser.add_argument(
            "--only",
            default="",
            help="pages: only the pages whose name holds one of these comma-separated substrings "
            "(the baseline always walks)",
        )
        parser.add_argument(
            "--fail-over", type=float, default=None, help="pages: fail when a p50 exceeds MS"
        )
        parser.add_argument(
            "--postgres-url",
            default=POSTGRES_URL,
            help="the PostgreSQL bench database (its name must contain 'bench': it is wiped)",
        )

    def handle(
        self, *args, what: str, nodes: int, runs: int | None, rows: list[int] | None, **options
    ):
        if runs is not None and runs < 1:
            raise CommandError("--runs must be at least 1")
        if rows is not None and min(rows) < 1:
            raise CommandError("--rows must be at least 1")
        if what == "export":
            export_bench.bench_export(rows[0] if rows else 200_000, self.stdout.write)
            return
        if what == "checkin":
            self._checkin(options)
            return
        if what == "world":
            from heli.bench.worldcmd import build_world

            build_world(options["members"] or 1_000_000, options["audit"], self.stdout.write)
            return
        if what == "pages":
            from heli.bench.pagescmd import walk_pages

            walk_pages(options, self.stdout.write)
            return
        if what == "import":
            settings = import_bench.Options(
                rows or [100_000, 200_000], runs or import_bench.RUNS, profile=options["profile"]
            )
            import_bench.bench_imports(settings, self.stdout.write)
            return
        with activate(Scope.everything()):
            results = bench_tree(nodes, runs or 5, self.stdout.write)
        self.stdout.write(f"{'query':<58}{'ms':>9}{'baseline ms':>13}{'ratio':>8}")
        for r in results:
            self.stdout.write(
                f"{r.label:<58}{r.seconds * 1000:>9.2f}{r.baseline * 1000:>13.2f}{r.ratio:>8.2f}"
            )
        self.stdout.write(
            "baseline: an indexed primary-key range scan over as many rows, same database, same run"
        )

    def _checkin(self, options: dict) -> None:
        from heli.bench import checkin, load

        options["members"] = options["members"] or checkin.Options().members
        if options["members"] < 2 or options["connections"] < 1 or options["seconds"] < 1:
            raise CommandError("--members must be at least 2, --connections and --seconds 1")
        settings = checkin.Options(
            connections=options["connections"],
            seconds=options["seconds"],
            workers=options["workers"],
            members=options["members"],
            threads=min(checkin.Options().threads, options["connections"]),
        )
        try:
            passed = checkin.run(
                options["db"], settings, self.stdout.write, options["postgres_url"]
            )
        except load.LoadError as exc:
            raise CommandError(str(exc)) from exc
        if not passed:
            raise CommandError("the check-in benchmark missed a target (FAIL above)")
