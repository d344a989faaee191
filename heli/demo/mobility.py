"""Demo check-ins at every grid station (the article's 337 check-in points) and the 432 inflow
members confirmed by the inflow side and placed in nearby branches (就近归队入列)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from heli.core.tree import STEP_WIDTH
from heli.demo.people import TODAY
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection
from heli.members.models import Member
from heli.mobility.models import (
    CheckIn,
    CheckInSource,
    CheckInStatus,
    FloatingEvent,
    FloatingRecord,
    RecordStatus,
)
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg
from heli.stations.models import Station, StationKind

TOWN_PATH = 2 * STEP_WIDTH  # district, then town or street


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(8, 19), rng.randrange(60)), tzinfo=dt.UTC)


# Its own generator: which check-ins staff have confirmed draws nothing from the zone's.
VERIFICATION_SEED = "heli-demo-check-ins:verification"


def build_check_ins(zone) -> None:
    """One to three check-ins at each grid station in the two months before the demo's day,
    by members living in its grid, inflow members first; their floating records' last
    contact follows. Most were confirmed by staff soon after (verified); some of the last
    week's by members who are not floating are still self-reported (自报), waiting for their
    branch (a floating member's would change the clock and letters the demo's figures
    count: theirs are all confirmed)."""
    rng = random.Random(zone.rng.random())
    verification = random.Random(VERIFICATION_SEED)
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
            check_ins.append(_demo_check_in(member, station, day, at, verification))
            record = inflow.get(member.pk)
            if record is not None and (record.last_contact_at or at) <= at:
                record.last_contact_at = at
                touched[record.pk] = record
    CheckIn.unscoped.bulk_create(check_ins, batch_size=1000)
    FloatingRecord.unscoped.bulk_update(touched.values(), ["last_contact_at"], batch_size=1000)


def _demo_check_in(
    member: Member, station: Station, day: dt.date, at: dt.datetime, rng: random.Random
) -> CheckIn:
    check_in = CheckIn(member=member, station=station, day=day, source=CheckInSource.QR)
    recent = (TODAY - day).days < 7
    if recent and not member.floating_direction and rng.random() < 0.5:
        check_in.status = CheckInStatus.SELF_REPORTED
    else:
        check_in.status = CheckInStatus.VERIFIED
        check_in.decided_at = at + dt.timedelta(minutes=rng.randrange(10, 240))
    return check_in


@dataclass
class NearbyBranches:
    """The branches demo inflow members join, loaded once: each grid's own branch, each
    town's 红磁场 branches, each industry chain's floating branch."""

    grid: dict[int, PartyOrg] = field(default_factory=dict)
    magnet: dict[str, list[PartyOrg]] = field(default_factory=lambda: defaultdict(list))
    chain: dict[int, PartyOrg] = field(default_factory=dict)

    @classmethod
    def load(cls) -> NearbyBranches:
        found = cls()
        branches = PartyOrg.unscoped.filter(level=OrgLevel.BRANCH).select_related("region")
        for org in branches.exclude(region=None).order_by("path"):
            if org.category == OrgCategory.REGIONAL:
                found.grid.setdefault(org.region_id, org)
            elif org.category == OrgCategory.RED_MAGNET:
                found.magnet[org.region.path[:TOWN_PATH]].append(org)
            elif org.category == OrgCategory.FLOATING:
                found.chain.setdefault(org.parent_id, org)
        return found

    def choose(self, record: FloatingRecord, rng: random.Random) -> PartyOrg | None:
        """The demo's mix of the three models: the chain's floating branch for chain workers,
        the town's 红磁场 branch for some, the grid's own branch for the rest."""
        if record.member.industry_chain_id and rng.random() < 0.5:
            chain_branch = self.chain.get(record.member.industry_chain_id)
            if chain_branch is not None:
                return chain_branch
        town_path = record.grid.path[:TOWN_PATH] if record.grid else ""
        if rng.random() < 0.25 and self.magnet.get(town_path):
            return rng.choice(self.magnet[town_path])
        return self.grid.get(record.grid_id)


def build_joined_branches(zone) -> None:
    """Every demo inflow member was confirmed by the inflow side and joined a nearby branch
    a few days after arriving."""
    rng = random.Random(zone.rng.random())
    nearby = NearbyBranches.load()
    records = FloatingRecord.unscoped.filter(direction=FloatingDirection.IN).select_related(
        "member", "grid"
    )
    events, changed = [], []
    for record in records.order_by("pk"):
        org = nearby.choose(record, rng)
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


# People who scanned a station's code this morning and are not in the registry yet: the
# branch confirms or rejects them. The first two are at the `grid` account's own station, so
# that its desk shows work waiting on the first login.
PENDING_PEOPLE = [("陈立新", 0), ("黄小芳", 0), ("吴建国", 5), ("周丽娟", 11), ("郑海涛", 23)]


def build_pending_check_ins(zone) -> None:
    from heli.accounts.models import User
    from heli.audit.services import Actor
    from heli.members import idcard
    from heli.mobility.checkins import Identity, register_unknown

    rng = random.Random(zone.rng.random())
    home = User.objects.get(username="grid").org.region_id
    stations = list(Station.unscoped.filter(kind=StationKind.GRID_STATION).order_by("pk"))
    stations.sort(key=lambda s: s.grid_id != home)  # the grid account's station first
    for n, (name, offset) in enumerate(PENDING_PEOPLE):
        born = TODAY - dt.timedelta(days=rng.randrange(22 * 365, 55 * 365))
        number = idcard.make("320411", born, rng.randrange(0, 999))
        station = stations[0] if n < 2 else stations[offset % len(stations)]
        register_unknown(Actor.system("demo"), Identity(name=name, id_number=number), station)


def build_self_reports(zone) -> None:
    """This morning's self-reported check-ins (自报) waiting on desks: two outflow members of
    the `town` account's town whose reminder letter is still open (confirming one settles
    it), and a member of the `grid` account's branch at its station. They move no verified
    contact, so the figures and letter states stay as built."""
    from django.utils import timezone

    from heli.accounts.models import User
    from heli.audit.services import Actor
    from heli.letters.models import OPEN_STATUSES
    from heli.mobility.checkins import record_check_in

    actor, today = Actor.system("demo"), timezone.localdate()
    stations = {
        s.grid_id: s for s in Station.unscoped.filter(kind=StationKind.GRID_STATION).order_by("-pk")
    }
    town = User.objects.get(username="town").org
    away = FloatingRecord.unscoped.filter(
        direction=FloatingDirection.OUT,
        status=RecordStatus.ACTIVE,
        outflow_org__path__startswith=town.path,
        letters__status__in=OPEN_STATUSES,
        member__residence_grid__in=list(stations),
    )
    away = away.select_related("member").distinct().order_by("pk")
    people = [(r.member, stations[r.member.residence_grid_id]) for r in away[:2]]
    grid = User.objects.get(username="grid").org
    at_home = Member.unscoped.filter(
        org=grid, status__in=ACTIVE_STATUSES, floating_direction="", deleted_at__isnull=True
    ).exclude(check_ins__day=today)
    station = stations.get(grid.region_id)
    if station is not None and at_home.exists():
        people.append((at_home.order_by("-pk").first(), station))
    for member, station in people:
        record_check_in(actor, member, station)
