"""就近归队入列: which branches an inflow member could join, best first, and temporary branches.

The ranking follows the zone's three models (三位一体):
- 联建: the branch of the grid where the member lives (joint branch by residence grid);
- 单建: an enterprise, park or market branch, best the member's own employer;
- 共建: a floating-member branch built with the outflow place (its name or place names it),
  or one under the member's industry-chain committee.
Each suggestion carries its model and the reasons behind its score, so a worker can see why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core.tree import subtree_q
from heli.members.choices import FloatingDirection
from heli.mobility import floating
from heli.mobility.models import FloatingRecord, RecordStatus
from heli.orgs import services as org_services
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region

MODEL_LABELS = {
    "single": gettext_lazy("Own branch (单建)"),
    "joint": gettext_lazy("Joint by residence grid (联建)"),
    "shared": gettext_lazy("Built with the outflow place (共建)"),
}
TEMPORARY_MINIMUM = 3  # members from the same place who may form a temporary branch
LIMIT = 10


@dataclass
class Suggestion:
    org: PartyOrg
    model: str
    score: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def model_label(self) -> str:
        return str(MODEL_LABELS[self.model])


PLACE_PARTS = re.compile(
    r"^(?P<province>.+?(?:省|自治区))?(?P<city>.+?(?:自治州|市|州|盟|地区))?"
    r"(?P<county>.+?(?:自治县|县|区|旗|市))?"
)


def _place_words(place: str) -> list[str]:
    """Names a branch built with a place would carry: the county, city and province of the
    place, most specific first, each also in its short form (三都水族自治县 → 三都)."""
    parts = PLACE_PARTS.match(place.strip())
    words = []
    for name in ("county", "city", "province"):
        part = parts.group(name) if parts else None
        if part:
            words += [part, part[:2]]
    return [w for w in dict.fromkeys(words) if len(w) >= 2]


def _town_of(grid: Region | None) -> Region | None:
    if grid is None:
        return None
    return next((a for a in grid.ancestors() if a.kind in ("town", "street")), None)


def suggest(record_: FloatingRecord) -> list[Suggestion]:
    """Branches inside the zone the member of an inflow record could join, best first."""
    member = record_.member
    grid = record_.grid or member.residence_grid
    found: dict[int, Suggestion] = {}

    def add(org: PartyOrg, model: str, points: int, reason: str) -> None:
        suggestion = found.setdefault(org.pk, Suggestion(org=org, model=model))
        suggestion.score += points
        suggestion.reasons.append(reason)

    branches = PartyOrg.unscoped.filter(level=OrgLevel.BRANCH).exclude(
        category=OrgCategory.EXTERNAL
    )
    if grid is not None:
        for org in branches.filter(region=grid, category=OrgCategory.REGIONAL):
            add(org, "joint", 30, _("Branch of the grid where the member lives"))
    town = _town_of(grid)
    if town is not None:
        local = branches.filter(subtree_q("region__path", town.path))
        employer = (member.employer or "").strip()
        for org in local.filter(category=OrgCategory.ENTERPRISE):
            if employer and (employer in org.name or org.name.startswith(employer[:4])):
                add(org, "single", 40, _("Branch of the member's employer"))
            else:
                add(org, "single", 10, _("Enterprise or park branch in the same town"))
    words = _place_words(record_.place)
    shared = branches.filter(
        category__in=[OrgCategory.FLOATING, OrgCategory.RED_MAGNET, OrgCategory.SCHOOL]
    )
    for org in shared:
        if any(w in org.name or w in org.external_place for w in words):
            add(org, "shared", 35, _("Built with the member's home place"))
        elif org.temporary and town is not None and org.region_id == town.pk:
            add(org, "shared", 5, _("Temporary branch in the same town"))
    if record_.industry_chain_id:
        chain = record_.industry_chain
        for org in branches.filter(subtree_q("path", chain.path)):
            add(org, "shared", 20, _("Under the member's industry-chain committee"))
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.org.path))
    return ranked[:LIMIT]


def awaiting_branch_q() -> Q:
    """Active inflow records whose member has not joined a nearby branch yet."""
    return Q(status=RecordStatus.ACTIVE, direction=FloatingDirection.IN, joined_org__isnull=True)


def same_place_groups(records) -> list[dict]:
    """Places with at least TEMPORARY_MINIMUM members waiting for a branch."""
    return list(
        records.filter(awaiting_branch_q())
        .values("place")
        .annotate(count=Count("pk"))
        .filter(count__gte=TEMPORARY_MINIMUM)
        .order_by("-count", "place")
    )


@transaction.atomic
def form_temporary_branch(
    actor: Actor, records: list[FloatingRecord], parent: PartyOrg, name: str, on: dt.date
) -> PartyOrg:
    """Three or more inflow members from the same place form a temporary branch (临时党支部)
    under `parent`, and each of them joins it. Forming one creates an organization: it needs
    the structure right as well as the right to edit members, whatever organization the actor
    is bound to (a grid worker of a town has neither the structure right nor the branch)."""
    require(actor.user, Right.EDIT_STRUCTURE)
    require(actor.user, Right.EDIT_MEMBERS)
    waiting = [r for r in records if r.status == RecordStatus.ACTIVE and r.joined_org_id is None]
    if len(waiting) < TEMPORARY_MINIMUM:
        raise ValidationError(
            _("A temporary branch needs at least %(n)d members waiting for a branch.")
            % {"n": TEMPORARY_MINIMUM}
        )
    if len({r.place for r in waiting}) != 1:
        raise ValidationError(_("The members of a temporary branch come from the same place."))
    if parent.is_external:
        raise ValidationError(_("Choose a parent organization inside the zone."))
    branch = org_services.create_org(
        actor,
        parent,
        {
            "name": name.strip(),
            "level": OrgLevel.BRANCH,
            "category": OrgCategory.FLOATING,
            "region": parent.region,
            "temporary": True,
            "external_place": waiting[0].place,
        },
    )
    for floating_record in waiting:
        floating.join_branch(actor, floating_record, branch, on)
    record(actor, "floating.temporary_branch", branch, detail={"members": len(waiting)})
    return branch
