"""How many members each of the three ledgers holds, per place and per child of a place."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from heli.core.tree import counts_by_child
from heli.members.choices import FloatingDirection
from heli.members.ledgers import ACTIVE, FLOATING_IN, FLOATING_OUT, Ledger, ledger_members
from heli.members.models import Member
from heli.orgs.models import Region


@dataclass
class LedgerCounts:
    affiliated: int = 0
    in_service: int = 0
    floating: int = 0


def counts_for(region: Region) -> LedgerCounts:
    return LedgerCounts(**{kind: ledger_members(kind, region).count() for kind in Ledger.values})


def counts_by_child_region(region: Region) -> dict[str, LedgerCounts]:
    """{child path: counts} for every child of `region`, in four grouped queries."""
    members = Member.objects.all()
    affiliated = counts_by_child(members.filter(ACTIVE), "org__region__path", region.path)
    in_service = counts_by_child(members.filter(ACTIVE), "reported_to__path", region.path)
    out = counts_by_child(members.filter(FLOATING_OUT), "org__region__path", region.path)
    inflow = counts_by_child(members.filter(FLOATING_IN), "residence_grid__path", region.path)
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
        Member.objects.filter(ACTIVE)
        .values_list("floating_direction")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    return FloatingShare(
        members=sum(rows.values()),
        floating=rows.get(FloatingDirection.OUT, 0) + rows.get(FloatingDirection.IN, 0),
        outflow=rows.get(FloatingDirection.OUT, 0),
        inflow=rows.get(FloatingDirection.IN, 0),
    )
