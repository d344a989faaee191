"""Figures of campaigns: progress, counts by outcome, per grid and per town.

Every function takes a task queryset, so the caller decides what is counted: pages pass the
scoped manager's tasks (a grid worker counts only their grid's), the dashboard its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from heli.campaigns.models import DECIDED, Outcome
from heli.core.tree import ancestor_paths
from heli.orgs.models import TOWN_LEVEL, VILLAGE_LEVEL, Region


def progress(tasks: QuerySet) -> tuple[int, int]:
    """(decided, total) of the tasks: one aggregate query."""
    figures = tasks.aggregate(
        total=Count("pk"), done=Count("pk", filter=~Q(outcome=Outcome.PENDING))
    )
    return figures["done"], figures["total"]


@dataclass(frozen=True)
class Summary:
    """A sweep's figures over `tasks` in one pass: decided and total, {outcome: count} in the
    order of `Outcome`, and the members who had lost contact (all, still pending, located)."""

    done: int
    total: int
    outcomes: dict[str, int]
    lost: int
    lost_pending: int
    lost_located: int


def summary(tasks: QuerySet) -> Summary:
    """`progress`, `outcome_counts` and the lost members' counts as one aggregate query (they
    were five, each planning the tasks' scope again)."""
    lost = Q(was_lost=True)
    figures = tasks.aggregate(
        total=Count("pk"),
        lost=Count("pk", filter=lost),
        lost_pending=Count("pk", filter=lost & Q(outcome=Outcome.PENDING)),
        lost_located=Count("pk", filter=lost & Q(outcome=Outcome.LOCATED)),
        **{f"outcome_{value}": Count("pk", filter=Q(outcome=value)) for value in Outcome.values},
    )
    outcomes = {value: figures[f"outcome_{value}"] for value in Outcome.values}
    return Summary(
        done=figures["total"] - outcomes[Outcome.PENDING],
        total=figures["total"],
        outcomes=outcomes,
        lost=figures["lost"],
        lost_pending=figures["lost_pending"],
        lost_located=figures["lost_located"],
    )


def percent(done: int, total: int) -> int:
    return round(done * 100 / total) if total else 0


def outcome_counts(tasks: QuerySet) -> dict[str, int]:
    """{outcome: count} for every outcome, zeros included, in the order of `Outcome`."""
    found = dict(tasks.order_by().values_list("outcome").annotate(n=Count("pk")))
    return {value: found.get(value, 0) for value in Outcome.values}


@dataclass
class Row:
    """Tasks of one grid or one town, counted by outcome."""

    path: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    town: str = ""
    village: str = ""
    pk: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def pending(self) -> int:
        return self.counts.get(Outcome.PENDING, 0)

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def finished(self) -> bool:
        """The grid (or town) has swept every member: no task is pending."""
        return self.total > 0 and self.pending == 0

    @property
    def percent(self) -> int:
        return percent(self.done, self.total)

    @property
    def outcomes(self) -> list[tuple[str, int]]:
        return [(value, self.counts.get(value, 0)) for value in Outcome.values]


def _places(paths: set[str]) -> dict[str, Region]:
    """Regions above the given grids, by path (names only: read without scope, like
    breadcrumbs, since a grid worker's grid sits below a town they cannot open)."""
    above = {a for p in paths for a in ancestor_paths(p)[:-1]}
    return {r.path: r for r in Region.unscoped.filter(path__in=above)}


def by_grid(tasks: QuerySet) -> list[Row]:
    """One row per grid holding tasks, in tree order, with its village and town."""
    counts = {value: Count("pk", filter=Q(outcome=value)) for value in Outcome.values}
    grouped = (
        tasks.order_by()
        .values("grid_id", "grid__name", "grid__path")
        .annotate(lost_=Count("pk", filter=Q(was_lost=True)), **counts)
        .order_by("grid__path")
    )
    rows = [
        Row(
            path=g["grid__path"],
            name=g["grid__name"],
            pk=g["grid_id"],
            counts={value: g[value] for value in Outcome.values},
            lost=g["lost_"],
        )
        for g in grouped
    ]
    places = _places({row.path for row in rows})
    for row in rows:
        for path in ancestor_paths(row.path)[:-1]:
            region = places.get(path)
            if region is not None and region.kind in TOWN_LEVEL:
                row.town = region.name
            elif region is not None and region.kind in VILLAGE_LEVEL:
                row.village = region.name
    return rows


def by_town(grid_rows: list[Row]) -> list[Row]:
    """The grid rows summed per town, in tree order."""
    towns: dict[str, Row] = {}
    for row in grid_rows:
        town = towns.setdefault(row.town, Row(path=row.path, name=row.town or "—"))
        for value, n in row.counts.items():
            town.counts[value] = town.counts.get(value, 0) + n
        town.lost += row.lost
    return list(towns.values())


def finished_grids(grid_rows: list[Row]) -> int:
    return sum(1 for row in grid_rows if row.finished)


def chart_data(rows: list[Row]) -> dict:
    """Stacked bars by outcome (ECharts): category names and one series per outcome."""
    order = [*DECIDED, Outcome.PENDING]  # pending last: the bar grows as the sweep moves
    return {
        "names": [row.name for row in rows],
        "series": [
            {
                "key": value.value,
                "name": str(value.label),
                "data": [row.counts.get(value, 0) for row in rows],
            }
            for value in order
        ],
    }
