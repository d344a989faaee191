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

from heli.core.tree import subtree_q
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
