"""The three ledgers (三本台账) of a village, community or grid, derived from member records.

- 隶属 affiliated: the relationship is held by an organization serving this place.
- 在职 in service: employed elsewhere, living here and reported to this place.
- 流动 floating: floating out of an organization of this place, or floating in and living here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from heli.core.tree import counts_by_child, subtree_q
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection, MemberStatus
from heli.members.models import Member
from heli.orgs.models import Region


class Ledger(models.TextChoices):
    AFFILIATED = "affiliated", _("Affiliated members")
    IN_SERVICE = "in_service", _("In-service members reporting here")
    FLOATING = "floating", _("Floating members")


ACTIVE = Q(status__in=ACTIVE_STATUSES)
FLOATING_OUT = Q(status=MemberStatus.FLOATING, floating_direction=FloatingDirection.OUT)
FLOATING_IN = Q(status=MemberStatus.FLOATING, floating_direction=FloatingDirection.IN)


def ledger_q(kind: str, path: str) -> Q:
    """Members of ledger `kind` for the place whose region path is `path`."""
    if kind == Ledger.AFFILIATED:
        return ACTIVE & subtree_q("org__region__path", path)
    if kind == Ledger.IN_SERVICE:
        return ACTIVE & subtree_q("reported_to__path", path)
    if kind == Ledger.FLOATING:
        return (FLOATING_OUT & subtree_q("org__region__path", path)) | (
            FLOATING_IN & subtree_q("residence_grid__path", path)
        )
    raise ValueError(kind)


def ledger_members(kind: str, region: Region) -> QuerySet:
    return Member.objects.filter(ledger_q(kind, region.path))


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
