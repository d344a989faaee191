"""Demo check-ins at every grid station (the article's 337 check-in points) and the 432 inflow
members confirmed by the inflow side and placed in nearby branches (就近归队入列)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from heli.core.tree import STEP_WIDTH
from heli.demo.people import TODAY
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection
from heli.members.models import Member
from heli.mobility.models import CheckIn, CheckInSource, FloatingEvent, FloatingRecord
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg
from heli.stations.models import Station, StationKind

TOWN_PATH = 2 * STEP_WIDTH  # district, then town or street


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(8, 19), rng.randrange(60)), tzinfo=dt.UTC)


def build_check_ins(zone) -> None:
    """One to three check-ins at each grid station in the two months before the demo's day,
    by members living in its grid, inflow members first; their floating records' last
    contact follows."""
    rng = random.Random(zone.rng.random())
    residents: dict[int, list[Member]] = defaultdict(list)
    members = Member.unscoped.filter(status__in=ACTIVE_STATUSES, residence_grid__isnull=False)
    for member in members.order_by("pk").only("pk", "residence_grid_id", "floating_direction"):
        residents[member.residence_grid_id].append(member)
    inflow = {r.member_id: r for r in FloatingRecord.unscoped.filter(direction="in")}
    check_ins, touched = [], {}
    for station in Station.unscoped.filter(kind=StationKind.GRID_STATION).order_by("pk"):
        people = sorted(residents[station.grid_id], key=lambda m: (m.pk not in inflow, m.pk))
        for member in people[: rng.randint(1, 3)]:
            day = TODAY - dt.timedelta(days=rng.randrange(0, 60))
            at = _moment(day, rng)
            check_ins.append(
                CheckIn(member=member, station=station, day=day, source=CheckInSource.QR)
            )
            record = inflow.get(member.pk)
            if record is not None and (record.last_contact_at or at) <= at:
                record.last_contact_at = at
                touched[record.pk] = record
    CheckIn.unscoped.bulk_create(check_ins, batch_size=1000)
    FloatingRecord.unscoped.bulk_update(touched.values(), ["last_contact_at"], batch_size=1000)


def _nearby_branch(record: FloatingRecord, member: Member, towns, rng) -> PartyOrg | None:
    """The demo's mix of the three models: the chain's floating branch for chain workers,
    the town's 红磁场 branch for some, the grid's own branch for the rest."""
    grid_branch = (
        record.grid
        and PartyOrg.unscoped.filter(
            region_id=record.grid_id, level=OrgLevel.BRANCH, category=OrgCategory.REGIONAL
        ).first()
    )
    if member.industry_chain_id and rng.random() < 0.5:
        chain_branch = towns["chain"].get(member.industry_chain_id)
        if chain_branch is not None:
            return chain_branch
    town_path = record.grid.path[:TOWN_PATH] if record.grid else ""
    if rng.random() < 0.25 and towns["magnet"].get(town_path):
        return rng.choice(towns["magnet"][town_path])
    return grid_branch


def build_joined_branches(zone) -> None:
    """Every demo inflow member was confirmed by the inflow side and joined a nearby branch
    a few days after arriving."""
    rng = random.Random(zone.rng.random())
    branches = PartyOrg.unscoped.filter(level=OrgLevel.BRANCH).select_related("region")
    magnet: dict[str, list[PartyOrg]] = defaultdict(list)
    chain: dict[int, PartyOrg] = {}
    for org in branches.filter(category=OrgCategory.RED_MAGNET).order_by("path"):
        magnet[org.region.path[:TOWN_PATH]].append(org)
    for org in branches.filter(category=OrgCategory.FLOATING).order_by("path"):
        chain.setdefault(org.parent_id, org)
    towns = {"magnet": magnet, "chain": chain}
    records = FloatingRecord.unscoped.filter(direction=FloatingDirection.IN).select_related(
        "member", "grid"
    )
    events, changed = [], []
    for record in records.order_by("pk"):
        org = _nearby_branch(record, record.member, towns, rng)
        if org is None:
            continue
        record.joined_org = org
        record.joined_on = record.since + dt.timedelta(days=rng.randrange(3, 30))
        record.inflow_org = record.inflow_org or org
        record.inflow_confirmed_at = _moment(record.joined_on, rng)
        changed.append(record)
        events.append(
            FloatingEvent(
                record=record, kind="joined", username="demo", at=record.inflow_confirmed_at,
                detail={"org": org.name},
            )
        )  # fmt: skip
    FloatingRecord.unscoped.bulk_update(
        changed, ["joined_org", "joined_on", "inflow_org", "inflow_confirmed_at"], batch_size=1000
    )
    FloatingEvent.objects.bulk_create(events, batch_size=1000)
