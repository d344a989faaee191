"""The three ledgers (三本台账) of a village, community or grid, derived from member records
(their counts: heli.reports.ledgers).

- 隶属 affiliated: the relationship is held by an organization serving this place.
- 在职 in service: employed elsewhere, living here and reported to this place.
- 流动 floating: floating out of an organization of this place, or floating in and living here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from heli.core.lookups import Unindexed
from heli.core.tree import STEP_WIDTH, next_prefix, subtree_q
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection, MemberStatus
from heli.members.models import Member
from heli.orgs.models import PartyOrg, Region


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


# A district's or a town's 隶属 or 在职 ledger holds most members of the scope: its list reads
# the name index in order and stops at the page's end (the place kept out of SQLite's choice).
# Its 流动 ledger holds a few per cent: read by the (status, direction) index, then sorted. A
# village's or a grid's ledgers hold a few hundred: their places first, as semi-joins, which
# SQLite otherwise reaches by walking every organization of the scope.
BROAD_DEPTH = 2
PLACE_FIELDS = {"held": "org__region__path", "lives": "residence_grid__path",
                "reported": "reported_to__path"}  # fmt: skip


def _broad(field: str, path: str) -> Q:
    """The place condition on the alias SQLite's planner must not drive by (core.lookups)."""
    return Q(**{f"_{field}__gte": path, f"_{field}__lt": next_prefix(path)})


def _narrow(field: str, path: str) -> Q:
    if field == "held":
        return Q(org__in=PartyOrg.unscoped.filter(subtree_q("region__path", path)).values("pk"))
    regions = Region.unscoped.filter(subtree_q("path", path)).values("pk")
    return Q(**{f"{PLACE_FIELDS[field].removesuffix('__path')}__in": regions})


def ledger_members(kind: str, region: Region) -> QuerySet:
    """The members of ledger `kind` of `region`: ledger_q's rows, read the way that is quick
    for the size of the place."""
    p = region.path
    broad = len(p) // STEP_WIDTH <= BROAD_DEPTH
    place, members = _narrow, Member.objects.all()
    if broad:
        place = _broad
        members = members.alias(**{f"_{k}": Unindexed(f) for k, f in PLACE_FIELDS.items()})
    if kind == Ledger.AFFILIATED:
        return members.filter(ACTIVE & place("held", p))
    if kind == Ledger.IN_SERVICE:
        return members.filter(ACTIVE & place("reported", p))
    if kind == Ledger.FLOATING:
        # A broad place's by the floating members' partial name index (its condition stated
        # on its own) in page order, each checked against the place, stopping at the page's
        # end; a narrow one's through its places' semi-joins, which the partial index would
        # beat in SQLite's eyes (no sort) while it holds the zone's 34,000. (Read by their
        # (status, direction) index, all 34,000 at a million members were fetched and sorted.)
        floating = (FLOATING_OUT & place("held", p)) | (FLOATING_IN & place("lives", p))
        if broad:
            return members.filter(status=MemberStatus.FLOATING).filter(floating)
        # Each side's ids apart (a union): under an OR with the scope's semi-joins PostgreSQL
        # walked the partial name index through the zone's 34,000 for a grid's 34 (140 ms).
        out = Member.unscoped.filter(FLOATING_OUT & place("held", p)).values("pk")
        into = Member.unscoped.filter(FLOATING_IN & place("lives", p)).values("pk")
        return members.filter(pk__in=out.order_by().union(into.order_by()))
    raise ValueError(kind)
