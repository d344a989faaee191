"""`heli bench world --members N`: a province-scale zone in the configured (bench) database.

The places grow with the members (some 300 members a grid, 8 grids a village, 20 villages a
town), each grid with its branch and its station (一网格一支部一阵地). Members are built in
code and written as the demo writes them (ID numbers valid GB 11643, encrypted for their row,
digested and masked by `heli.members.sensitive`, inserted by the import writer with their
history rows); the rest goes through `heli.core.fastinsert` (executemany on SQLite, COPY on
PostgreSQL) or, for the sealed history tables, `bulk_create` (which seals). Per thousand
members: 9 floating out, 25 floating in (a seventh of the floating out of contact), 36 in
service, 2 former; a year of check-ins (inflow members monthly, one in twenty others once),
a reminder letter per outflow member away over a month, a sweep campaign over the first town
with a task per floating record, one transfer per 5,000 members, and as many audit entries as
members (`--audit`), chained by `heli.audit.chain.append_many`.

Everything is derived from the member's number `i`, so two builds of the same size are the
same but for the ids and ciphers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.core import fastinsert
from heli.core.ids import allocate_ids
from heli.core.pinyin import initials
from heli.core.tree import allocate_child_path, step_string
from heli.demo.people import GIVEN, LOCAL_AREAS
from heli.demo.places import SURNAMES
from heli.members import dates, idcard, sensitive
from heli.members.choices import FloatingDirection, Membership, MemberStatus, Occupation
from heli.members.imports import writer
from heli.members.models import Member
from heli.mobility.floating import document_for
from heli.mobility.models import (
    CheckIn,
    CheckInSource,
    CheckInStatus,
    FloatingRecord,
    FlowRange,
    FlowReason,
)
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind
from heli.stations.models import Station, StationKind

MEMBERS_PER_GRID, GRIDS_PER_VILLAGE, VILLAGES_PER_TOWN = 300, 8, 20
BATCH = 20_000
EXTERNAL = (
    ("中共信阳市固始县委员会", "河南省信阳市固始县", "411525"),
    ("中共安庆市宿松县委员会", "安徽省安庆市宿松县", "340826"),
    ("中共盐城市射阳县委员会", "江苏省盐城市射阳县", "320924"),
    ("中共南充市营山县委员会", "四川省南充市营山县", "511322"),
)
OUT_PLACES = ("上海市浦东新区", "浙江省杭州市余杭区", "广东省深圳市南山区", "北京市朝阳区")
ACCOUNTS = (
    ("district", Role.DISTRICT_ADMIN),
    ("town", Role.TOWN_ADMIN),
    ("grid", Role.GRID_WORKER),
)
Say = Callable[[str], None]


@dataclass(frozen=True)
class Size:
    members: int
    grids: int
    villages: int
    towns: int

    @classmethod
    def for_members(cls, members: int) -> Size:
        grids = max(4, math.ceil(members / MEMBERS_PER_GRID))
        villages = max(2, math.ceil(grids / GRIDS_PER_VILLAGE))
        return cls(members, grids, villages, max(2, math.ceil(villages / VILLAGES_PER_TOWN)))


@dataclass
class Places:
    district: Region
    root: PartyOrg
    towns: list[Region] = field(default_factory=list)
    town_orgs: list[PartyOrg] = field(default_factory=list)
    villages: list[Region] = field(default_factory=list)
    grids: list[Region] = field(default_factory=list)
    branches: list[PartyOrg] = field(default_factory=list)
    stations: list[Station] = field(default_factory=list)
    externals: list[tuple[PartyOrg, str]] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)


@dataclass(frozen=True)
class Away:
    """A floating member as the later steps need them."""

    pk: int
    i: int
    direction: str
    grid: int  # index into Places.grids
    since: dt.date
    place: str


def _region(parent: Region | None, name: str, kind: str, path: str) -> Region:
    depth = parent.depth + 1 if parent else 0
    return Region(name=name, kind=kind, parent=parent, path=path, depth=depth)


def _org(parent: PartyOrg | None, name: str, level: str, region: Region | None, path: str):
    return PartyOrg(
        name=name, level=level, category=OrgCategory.REGIONAL, region=region, parent=parent,
        path=path, depth=parent.depth + 1 if parent else 0,
    )  # fmt: skip


def _save(model: type, levels: list[list]) -> None:
    for level in levels:
        for node in level:
            node.parent_id = node.parent.pk if node.parent else None
            node.name_initials = initials(node.name)  # bulk_create skips save()
        model.unscoped.bulk_create(level, batch_size=2000)


def build_places(size: Size) -> Places:
    """The tree under the first free root paths (a database may hold a zone already)."""
    region_root, _ = allocate_child_path(Region, None)
    org_root, _ = allocate_child_path(PartyOrg, None)
    district = _region(None, "基准省级开发区", RegionKind.DISTRICT, region_root)
    p = Places(
        district, _org(None, "基准开发区党工委", OrgLevel.WORKING_COMMITTEE, district, org_root)
    )
    p.root.category = OrgCategory.REGIONAL
    village_orgs = []
    for t in range(size.towns):
        town = _region(
            district, f"基准{t + 1}镇", RegionKind.TOWN, region_root + step_string(t + 1)
        )
        town_org = _org(
            p.root, f"{town.name}党委", OrgLevel.COMMITTEE, town, org_root + step_string(t + 1)
        )
        p.towns.append(town), p.town_orgs.append(town_org)
    for v in range(size.villages):
        t = v * size.towns // size.villages
        town, town_org = p.towns[t], p.town_orgs[t]
        step = step_string(v - (t * size.villages + size.towns - 1) // size.towns + 1)
        kind = RegionKind.COMMUNITY if v % 2 else RegionKind.VILLAGE
        village = _region(
            town, f"{town.name}{v + 1}{'社区' if v % 2 else '村'}", kind, town.path + step
        )
        p.villages.append(village)
        village_orgs.append(
            _org(
                town_org,
                f"{village.name}党总支",
                OrgLevel.GENERAL_BRANCH,
                village,
                town_org.path + step,
            )
        )
    for g in range(size.grids):
        v = g * size.villages // size.grids
        village, village_org = p.villages[v], village_orgs[v]
        step = step_string(g - (v * size.grids + size.villages - 1) // size.villages + 1)
        grid = _region(
            village, f"{village.name}第{step.lstrip('0')}网格", RegionKind.GRID, village.path + step
        )
        p.grids.append(grid)
        p.branches.append(
            _org(village_org, f"{grid.name}党支部", OrgLevel.BRANCH, grid, village_org.path + step)
        )
    _save(Region, [[district], p.towns, p.villages, p.grids])
    _save(PartyOrg, [[p.root], p.town_orgs, village_orgs, p.branches])
    for name, place, area in EXTERNAL:
        path, _ = allocate_child_path(PartyOrg, None)
        org = PartyOrg.unscoped.create(
            name=name, level=OrgLevel.COMMITTEE, category=OrgCategory.EXTERNAL,
            external_place=place, path=path, depth=0,
        )  # fmt: skip
        p.externals.append((org, area))
    p.stations = [
        Station(kind=StationKind.GRID_STATION, name=f"{grid.name}党群直通站", grid=grid, org=branch)
        for grid, branch in zip(p.grids, p.branches, strict=True)
    ]
    Station.unscoped.bulk_create(p.stations, batch_size=2000)
    for username, role in ACCOUNTS:
        org = {"district": p.root, "town": p.town_orgs[0], "grid": p.branches[0]}[username]
        user, _ = User.objects.update_or_create(
            username=f"bench-{username}", defaults={"role": role, "org": org, "last_name": "基准"}
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        p.users[username] = user
    return p


TODAY = timezone.localdate()  # the clock and letters count from the zone's real day


def _kind(i: int) -> str:
    k = i % 1000
    if k < 9:
        return "out"
    if k < 34:
        return "in"
    if k < 70:
        return "service"
    return "former" if k < 72 else "normal"


def _member(i: int, size: Size, p: Places) -> tuple[Member, str]:
    g = i * size.grids // size.members
    grid, branch = p.grids[g], p.branches[g]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=(i // 1000) % 17_000)
    kind = _kind(i)
    org, area = branch, LOCAL_AREAS[i % len(LOCAL_AREAS)]
    if kind == "in":
        org, area = p.externals[i % len(p.externals)]
    elif kind == "service":
        org = p.root
    number = idcard.make(area, born, (i // 17_000) % 1000 if i >= 17_000_000 else i % 1000)
    joined = born + dt.timedelta(days=18 * 366 + i % 9000)
    joined = min(joined, TODAY - dt.timedelta(days=30 + i % 200))
    full_on = dates.add_years(joined, 1)
    name = (
        SURNAMES[i % len(SURNAMES)]
        + GIVEN[(i // 41) % len(GIVEN)]
        + GIVEN[(i // 7) % len(GIVEN)][: i % 3]
    )
    member = Member(
        name=name, gender=idcard.gender(number), ethnicity="汉族", birth_date=born,
        education=("bachelor", "college", "high_school", "master")[i % 4], joined_on=joined,
        membership=Membership.FULL if full_on <= TODAY else Membership.PROBATIONARY,
        full_on=full_on if full_on <= TODAY else None, org=org, residence_grid=grid,
        occupation=(Occupation.WORKER, Occupation.RETIRED, Occupation.PROFESSIONAL)[i % 3],
        employer="基准产业园" if i % 3 != 1 else "",
    )  # fmt: skip
    if kind in ("out", "in"):
        member.status = MemberStatus.FLOATING
        member.floating_direction = FloatingDirection.OUT if kind == "out" else FloatingDirection.IN
        member.floating_place = OUT_PLACES[i % 4] if kind == "out" else org.external_place
        member.floating_since = TODAY - dt.timedelta(days=10 + i % 700)
    elif kind == "service":
        member.reported_to = p.villages[g * size.villages // size.grids]
        member.reported_on = TODAY - dt.timedelta(days=20 + i % 900)
    elif kind == "former":
        member.status = MemberStatus.TRANSFERRED_OUT if i % 2 else MemberStatus.DECEASED
    return member, number


@dataclass
class People:
    pks: list[int] = field(default_factory=list)  # by member number i
    away: list[Away] = field(default_factory=list)
    residents: list[tuple[int, int]] = field(default_factory=list)  # (pk, grid) checked in once


def build_members(size: Size, p: Places, say: Say) -> People:
    """The members, batch by batch, and what later steps need of them."""
    people = People()
    away, residents = people.away, people.residents
    for start in range(0, size.members, BATCH):
        stop = min(size.members, start + BATCH)
        batch = []
        ids = allocate_ids(Member, stop - start)
        people.pks += ids
        for i, pk in zip(range(start, stop), ids, strict=True):
            member, number = _member(i, size, p)
            member.pk = pk
            sensitive.apply_id(member, sensitive.protect_id(number, pk))
            if i % 25:  # 96% have a phone
                phone = f"13{i:09d}"
                sensitive.apply_phone(member, sensitive.protect_phone(phone, pk))
            batch.append(member)
            g = i * size.grids // size.members
            if member.floating_direction:
                place, since = member.floating_place, member.floating_since
                away.append(Away(pk, i, member.floating_direction, g, since, place))
            elif i % 20 == 5 and _kind(i) == "normal":
                residents.append((pk, g))
        writer.write_members(batch, username="bench", batch="bench-world")
        say(f"  members {stop:,} of {size.members:,}")
    return people


def moment(day: dt.date, i: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8 + i % 10, i % 60), tzinfo=dt.UTC)


def lost(a: Away) -> bool:
    return a.i % 7 == 0


def build_floating(p: Places, away: list[Away]) -> dict[int, int]:
    """A floating record for each floating member: {member pk: record pk}."""
    now = timezone.now()
    rows = []
    for a, pk in zip(away, allocate_ids(FloatingRecord, len(away)), strict=True):
        inflow = a.direction == FloatingDirection.IN
        days = 100 + a.i % 100 if lost(a) else a.i % 50
        record = FloatingRecord(
            pk=pk, member_id=a.pk, direction=a.direction, place=a.place, since=a.since,
            outflow_org=None if inflow else p.branches[a.grid],
            inflow_org=p.branches[a.grid] if inflow else None,
            flow_range=FlowRange.OTHER_PROVINCE, reason=FlowReason.WORK, expected_months=12,
            document=document_for(12, True), grid=p.grids[a.grid], created_at=now,
            last_contact_at=now - dt.timedelta(days=min(days, (TODAY - a.since).days + 5)),
            inflow_confirmed_at=moment(a.since, a.i) if inflow else None,
        )  # fmt: skip
        rows.append(record)
    fastinsert.insert_instances(FloatingRecord, rows)
    return {r.member_id: r.pk for r in rows}


def check_ins(p: Places, people: People) -> Iterator[CheckIn]:
    """Inflow members monthly at their grid's station (none in the last 100 days for those out
    of contact), and one resident in twenty once in the year."""
    for a in people.away:
        if a.direction != FloatingDirection.IN:
            continue
        for month in range(4 if lost(a) else 0, 12):
            day = TODAY - dt.timedelta(days=30 * month + a.i % 28)
            if day >= a.since:
                yield _check_in(a.pk, p.stations[a.grid], day, a.i)
    for n, (pk, g) in enumerate(people.residents):
        yield _check_in(pk, p.stations[g], TODAY - dt.timedelta(days=n % 365), n)


def _check_in(member: int, station: Station, day: dt.date, i: int) -> CheckIn:
    at = moment(day, i)
    return CheckIn(
        member_id=member, station=station, day=day, at=at, source=CheckInSource.QR,
        status=CheckInStatus.VERIFIED, decided_at=at + dt.timedelta(hours=1),
    )  # fmt: skip


@dataclass
class Built:
    size: Size
    places: Places
    counts: dict[str, int]
    seconds: dict[str, float]


def build(members: int, audit: int, say: Say) -> Built:
    """The whole zone in one transaction (a failure leaves nothing), step by step with its
    time."""
    from heli.audit.chain import append_many
    from heli.bench.work import audit_entries, build_campaign, build_letters, build_transfers

    size = Size.for_members(members)
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def timed(label: str, work: Callable[[], int | None]) -> None:
        started = time.perf_counter()
        result = work()
        seconds[label] = time.perf_counter() - started
        if result is not None:
            counts[label] = result
        say(f"{label}: {result if result is not None else ''} ({seconds[label]:.1f} s)")

    with transaction.atomic():
        places: list[Places] = []
        people: list[People] = []
        records: dict[int, int] = {}
        timed("places", lambda: places.append(build_places(size)) or size.grids)
        p = places[0]
        timed("members", lambda: people.append(build_members(size, p, say)) or members)
        who = people[0]
        timed(
            "floating records", lambda: records.update(build_floating(p, who.away)) or len(records)
        )
        timed("check-ins", lambda: _insert_all(CheckIn, check_ins(p, who)))
        _analyze()
        timed("letters", lambda: build_letters(p, who.away, records))
        timed("campaign tasks", lambda: build_campaign(p))
        timed("transfers", lambda: build_transfers(size, p, who.pks))

        timed("audit entries", lambda: append_many(audit_entries(audit, p, who.pks)))
        _analyze()
    return Built(size, places[0], counts, seconds)


def _insert_all(model: type, instances: Iterator) -> int:
    """Instances in batches, each with ids taken for it."""
    done = 0
    while True:
        chunk = list(itertools.islice(instances, BATCH))
        if not chunk:
            return done
        for instance, pk in zip(chunk, allocate_ids(model, len(chunk)), strict=True):
            instance.pk = pk
        fastinsert.insert_instances(model, chunk)
        done += len(chunk)


def _analyze() -> None:
    """Planner statistics for the later steps' queries and the pages (PostgreSQL; SQLite's
    ANALYZE too, its planner reads sqlite_stat1)."""
    from heli.demo.zone import analyze_tables

    if connection.vendor == "postgresql":
        analyze_tables()
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def check(say: Say) -> list[str]:
    """The platform's own invariants on what was built: one grid one branch one station, no
    duplicate check-ins, members as the member form would accept them (a sample), the audit
    chain and every sealed table."""
    from heli.audit import chain
    from heli.bench.world import check_in_duplicates
    from heli.core.sealed import unseal
    from heli.members.services import check_consistency
    from heli.reports.structure import grids_missing_branch_or_station

    problems = []
    if grids_missing_branch_or_station().exists():
        problems.append("a grid lacks its branch or station")
    if check_in_duplicates():
        problems.append("duplicate check-ins")
    for member in Member.unscoped.order_by("pk")[:: max(1, Member.unscoped.count() // 2000)]:
        try:
            check_consistency(member, unseal(member, "id_cipher"))
        except Exception as exc:  # reported, not raised
            problems.append(f"member {member.pk}: {exc}")
            break
    checked, broken = chain.verify_chain()
    say(f"audit chain: {checked:,} entries checked")
    if broken:
        problems.append(str(broken))
    for model in chain.sealed_models():
        _count, broken = chain.verify_seals(model)
        if broken:
            problems.append(str(broken))
    return problems
