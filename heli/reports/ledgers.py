"""How many members each of the three ledgers holds, per place and per child of a place, and
the floating share: sums of the member tallies (heli.reports.tallies) within the current scope,
never a count over the member table. Their definitions are heli.members.ledgers'."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from heli.core.scoping import current_scope
from heli.core.tree import counts_by_child, measures_by_child
from heli.members.choices import FloatingDirection
from heli.members.ledgers import ACTIVE, FLOATING_IN, FLOATING_OUT, Ledger, ledger_q
from heli.orgs.models import Region
from heli.reports import tallies

# The tally has the member's fields (org, residence_grid, reported_to, status, direction), so
# heli.members.ledgers' rules apply to it as they are.
HELD = "org__region__path"  # the place the organization holding the relationship serves
LIVES = "residence_grid__path"
REPORTED = "reported_to__path"


@dataclass
class LedgerCounts:
    affiliated: int = 0
    in_service: int = 0
    floating: int = 0


def _scoped() -> QuerySet:
    return tallies.in_scope(current_scope())


def counts_for(region: Region) -> LedgerCounts:
    """The three ledgers of `region` as members.ledgers.ledger_q defines them: one pass over
    the scope's tally rows, a filtered sum per ledger (three sums read the rows three times)."""
    sums = {kind: Sum("n", filter=ledger_q(kind, region.path)) for kind in Ledger}
    found = _scoped().aggregate(**sums)
    return LedgerCounts(**{kind: found[kind] or 0 for kind in Ledger})


def counts_by_child_region(region: Region) -> dict[str, LedgerCounts]:
    """{child path: counts} for every child of `region`, in three grouped sums of tallies
    (one per place a ledger goes by; 隶属 and outflow share the organization's)."""
    t, p, n = _scoped(), region.path, Sum("n")
    held = measures_by_child(
        t, HELD, p, {"affiliated": Sum("n", filter=ACTIVE), "out": Sum("n", filter=FLOATING_OUT)}
    )
    affiliated = {child: row["affiliated"] for child, row in held.items() if row["affiliated"]}
    out = {child: row["out"] for child, row in held.items() if row["out"]}
    in_service = counts_by_child(t.filter(ACTIVE), REPORTED, p, n)
    inflow = counts_by_child(t.filter(FLOATING_IN), LIVES, p, n)
    paths = set(affiliated) | set(in_service) | set(out) | set(inflow)
    return {
        path: LedgerCounts(
            affiliated=affiliated.get(path, 0),
            in_service=in_service.get(path, 0),
            floating=out.get(path, 0) + inflow.get(path, 0),
        )
        for path in paths
    }


@dataclass
class FloatingShare:
    members: int
    floating: int
    outflow: int
    inflow: int

    @property
    def share(self) -> float:
        return self.floating / self.members if self.members else 0.0


def floating_share() -> FloatingShare:
    """Floating members and their share of all active members in the current scope."""
    rows = dict(
        _scoped()
        .filter(ACTIVE)
        .values_list("floating_direction")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return FloatingShare(
        members=sum(rows.values()),
        floating=rows.get(FloatingDirection.OUT, 0) + rows.get(FloatingDirection.IN, 0),
        outflow=rows.get(FloatingDirection.OUT, 0),
        inflow=rows.get(FloatingDirection.IN, 0),
    )
