"""Benchmarks printed as ratios against a baseline measured in the same run.

`heli bench import`: see heli.members.imports.bench (the import against its floor).

`heli bench tree`: a region tree of N nodes (default 100,000) is inserted inside a transaction
that is rolled back at the end, then the queries the pages run on it are timed against a
baseline on the same rows: an indexed primary-key range scan returning as many rows (all rows
for whole-tree queries).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count

from heli.core.tree import allocate_child_path, counts_by_child, step_string, subtree_q
from heli.orgs.models import Region, RegionKind


class Rollback(Exception):
    pass


@dataclass
class Timing:
    label: str
    seconds: float
    baseline: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline if self.baseline else float("inf")


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def build_tree(nodes: int, fanout: tuple[int, ...] = (8, 30)) -> list[Region]:
    """District → `fanout[0]` towns → `fanout[1]` villages each → grids, to `nodes` in all,
    under the first free root path (the database may hold a zone already)."""
    root, _depth = allocate_child_path(Region, None)
    district = Region(name="区", kind=RegionKind.DISTRICT, path=root, depth=0)
    rows, parents = [district], []
    for t in range(fanout[0]):
        town = Region(
            name=f"镇{t}", kind=RegionKind.TOWN, path=district.path + step_string(t + 1), depth=1
        )
        rows.append(town)
        for v in range(fanout[1]):
            village = Region(
                name=f"村{t}-{v}",
                kind=RegionKind.VILLAGE,
                path=town.path + step_string(v + 1),
                depth=2,
            )
            rows.append(village)
            parents.append(village)
    grids_each = max(1, (nodes - len(rows)) // len(parents))
    for village in parents:
        for g in range(grids_each):
            rows.append(
                Region(
                    name=f"{village.name}网格{g}",
                    kind=RegionKind.GRID,
                    path=village.path + step_string(g + 1),
                    depth=3,
                )
            )
    Region.unscoped.bulk_create(rows, batch_size=5000)
    return rows


def bench_tree(nodes: int, runs: int, out: Callable[[str], None]) -> list[Timing]:
    results: list[Timing] = []
    try:
        with transaction.atomic():
            start = time.perf_counter()
            rows = build_tree(nodes)
            out(
                f"built {len(rows):,} regions in {time.perf_counter() - start:.1f}s "
                f"on {connection.vendor}"
            )
            district = rows[0]
            tree = Region.unscoped.filter(subtree_q("path", district.path))
            town = tree.filter(depth=1).order_by("path").first()
            size = Region.unscoped.filter(subtree_q("path", town.path)).count()
            first_pk = tree.order_by("pk").values_list("pk", flat=True).first()

            def baseline_count():
                return Region.unscoped.filter(pk__gte=first_pk, pk__lt=first_pk + size).count()

            def baseline_rows():
                return list(
                    Region.unscoped.filter(pk__gte=first_pk, pk__lt=first_pk + 50)
                    .order_by("pk")
                    .values_list("pk", "name")
                )

            def baseline_all():
                return Region.unscoped.filter(pk__gte=first_pk).count()

            base_count = best_of(runs, baseline_count)
            base_all = best_of(runs, baseline_all)
            base_rows = best_of(runs, baseline_rows)
            results.append(
                Timing(
                    f"count a town's subtree ({size:,} rows)",
                    best_of(
                        runs, lambda: Region.unscoped.filter(subtree_q("path", town.path)).count()
                    ),
                    base_count,
                )
            )
            results.append(
                Timing(
                    "grids per town under the district (one grouped query)",
                    best_of(
                        runs,
                        lambda: counts_by_child(
                            Region.unscoped.filter(kind=RegionKind.GRID), "path", district.path
                        ),
                    ),
                    base_all,
                )
            )
            village = tree.filter(depth=2).order_by("path").first()
            results.append(
                Timing(
                    "one village's children page (50 rows)",
                    best_of(
                        runs,
                        lambda: list(
                            Region.unscoped.filter(parent=village)
                            .order_by("path")[:50]
                            .values_list("pk", "name")
                        ),
                    ),
                    base_rows,
                )
            )
            grid = tree.filter(depth=3).order_by("path").last()
            results.append(
                Timing(
                    "breadcrumbs of a grid (ancestors)",
                    best_of(runs, lambda: list(grid.ancestors())),
                    base_rows,
                )
            )
            kinds = Region.unscoped.values("kind").annotate(n=Count("pk")).order_by()
            results.append(
                Timing(
                    "regions by kind (dashboard)",
                    best_of(runs, lambda: list(kinds.all())),
                    base_all,
                )
            )
            raise Rollback
    except Rollback:
        pass
    return results
