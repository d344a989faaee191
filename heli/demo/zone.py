"""Building the demo zone deterministically from a seed, in bulk (one transaction, seconds).

The builder is a list of steps (`STEPS`); later capabilities add their own steps (members,
floating records, ...) after the ones here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.audit.services import Actor, record
from heli.core.models import wipe
from heli.core.pinyin import initials
from heli.core.tree import STEP_WIDTH, step_string
from heli.demo import places
from heli.demo.campaigns import build_campaigns, clear_campaigns
from heli.demo.letters import build_letters, clear_letters
from heli.demo.mobility import (
    build_check_ins,
    build_joined_branches,
    build_pending_check_ins,
    build_self_reports,
)
from heli.demo.people import build_members
from heli.demo.transfers import build_transfers, clear_transfers
from heli.members.models import Member, MemberChange
from heli.mobility.models import CheckIn, FloatingEvent, FloatingRecord, PendingCheckIn
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind
from heli.stations.models import Station, StationKind

DEMO_PASSWORD = "Heli#2026"


@dataclass
class Zone:
    """What the steps build, kept in memory so that later steps can refer to it."""

    rng: random.Random
    regions: list[Region] = field(default_factory=list)
    orgs: list[PartyOrg] = field(default_factory=list)
    stations: list[Station] = field(default_factory=list)
    towns: dict[str, Region] = field(default_factory=dict)
    town_orgs: dict[str, PartyOrg] = field(default_factory=dict)
    grids: list[Region] = field(default_factory=list)
    grid_branches: dict[int, PartyOrg] = field(default_factory=dict)
    named_orgs: dict[str, PartyOrg] = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    members: int = 0
    _children: dict[tuple[str, str], int] = field(default_factory=dict)

    def _path(self, tree: str, parent_path: str) -> str:
        key = (tree, parent_path)
        self._children[key] = self._children.get(key, 0) + 1
        return parent_path + step_string(self._children[key])

    def region(self, parent: Region | None, name: str, kind: str, box, code: str) -> Region:
        node = Region(
            name=name,
            kind=kind,
            code=code,
            parent=parent,
            path=self._path("region", parent.path if parent else ""),
            depth=parent.depth + 1 if parent else 0,
            boundary=rectangle(box),
        )
        self.regions.append(node)
        return node

    def org(
        self,
        parent: PartyOrg | None,
        name: str,
        level: str,
        category: str,
        region: Region | None,
        **extra,
    ) -> PartyOrg:
        node = PartyOrg(
            name=name,
            level=level,
            category=category,
            region=region,
            parent=parent,
            path=self._path("org", parent.path if parent else ""),
            depth=parent.depth + 1 if parent else 0,
            secretary=self.person(),
            **extra,
        )
        self.orgs.append(node)
        self.named_orgs[name] = node
        return node

    def person(self) -> str:
        return self.rng.choice(places.SURNAMES) + "".join(
            self.rng.choice(places.GIVEN) for _ in range(self.rng.choice((1, 2)))
        )

    def phone(self) -> str:
        return (
            "1" + self.rng.choice("3589") + "".join(str(self.rng.randrange(10)) for _ in range(9))
        )


def rectangle(box: tuple[float, float, float, float]) -> dict:
    west, south, east, north = (round(v, 6) for v in box)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def split(box, count: int) -> list[tuple[float, float, float, float]]:
    """Tile a box into `count` cells, row by row."""
    west, south, east, north = box
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    width, height = (east - west) / cols, (north - south) / rows
    return [
        (
            west + (i % cols) * width,
            north - (i // cols + 1) * height,
            west + (i % cols + 1) * width,
            north - (i // cols) * height,
        )
        for i in range(count)
    ]


def grid_counts(rng: random.Random, villages: int, total: int) -> list[int]:
    counts = [3] * villages
    for _ in range(total - sum(counts)):
        counts[rng.randrange(villages)] += 1
    return counts


def build_regions_and_branches(zone: Zone) -> None:
    district = zone.region(None, places.DISTRICT, RegionKind.DISTRICT, places.BOUNDS, "320491")
    root = zone.org(
        None, places.DISTRICT_ORG, OrgLevel.WORKING_COMMITTEE, OrgCategory.REGIONAL, district
    )
    village_total = sum(len(v) for _, _, v in places.TOWNS)
    counts = iter(grid_counts(zone.rng, village_total, places.TOTAL_GRIDS))
    for t, (town_name, kind, villages) in enumerate(places.TOWNS):
        town_box = split(places.BOUNDS, len(places.TOWNS))[t]
        town = zone.region(district, town_name, kind, town_box, f"320491{t + 1:03d}")
        zone.towns[town_name] = town
        suffix = "党工委" if kind == RegionKind.STREET else "党委"
        level = OrgLevel.WORKING_COMMITTEE if kind == RegionKind.STREET else OrgLevel.COMMITTEE
        town_org = zone.org(root, town_name + suffix, level, OrgCategory.REGIONAL, town)
        zone.town_orgs[town_name] = town_org
        for v, (village_name, village_box) in enumerate(
            zip(villages, split(town_box, len(villages)), strict=True)
        ):
            village_kind = (
                RegionKind.COMMUNITY if village_name.endswith("社区") else RegionKind.VILLAGE
            )
            village = zone.region(
                town, village_name, village_kind, village_box, f"{town.code}{v + 1:03d}"
            )
            n_grids = next(counts)
            village_org = zone.org(
                town_org,
                village_name + ("党委" if n_grids >= 7 else "党总支"),
                OrgLevel.COMMITTEE if n_grids >= 7 else OrgLevel.GENERAL_BRANCH,
                OrgCategory.REGIONAL,
                village,
            )
            for g, grid_box in enumerate(split(village_box, n_grids)):
                grid = zone.region(
                    village,
                    f"{village_name}第{g + 1}网格",
                    RegionKind.GRID,
                    grid_box,
                    f"{village.code}{g + 1:03d}",
                )
                zone.grids.append(grid)
                zone.grid_branches[id(grid)] = zone.org(
                    village_org, f"{grid.name}党支部", OrgLevel.BRANCH, OrgCategory.REGIONAL, grid
                )


def build_special_orgs(zone: Zone) -> None:
    root = zone.orgs[0]
    chain_town = zone.towns[places.INDUSTRY_CHAIN_TOWN]
    chain = zone.org(
        zone.town_orgs[places.INDUSTRY_CHAIN_TOWN],
        places.INDUSTRY_CHAIN_ORG,
        OrgLevel.COMMITTEE,
        OrgCategory.INDUSTRY_CHAIN,
        chain_town,
    )
    zone.org(
        chain,
        places.INDUSTRY_CHAIN_FLOATING_BRANCH,
        OrgLevel.BRANCH,
        OrgCategory.FLOATING,
        chain_town,
    )
    for town_name, count in places.RED_MAGNET_BRANCHES.items():
        for i in range(count):
            ordinal = "" if count == 1 else ("第一" if i == 0 else "第二")
            zone.org(
                zone.town_orgs[town_name],
                f"{town_name}“红磁场”{ordinal}流动党员党支部",
                OrgLevel.BRANCH,
                OrgCategory.RED_MAGNET,
                zone.towns[town_name],
            )
    for name, town_name in places.SCHOOL_BRANCHES:
        zone.org(
            zone.town_orgs[town_name],
            name,
            OrgLevel.BRANCH,
            OrgCategory.SCHOOL,
            zone.towns[town_name],
        )
    express = zone.org(
        root, places.EXPRESS_COMMITTEE, OrgLevel.COMMITTEE, OrgCategory.ENTERPRISE, zone.regions[0]
    )
    zone.org(express, places.SF_BRANCH, OrgLevel.BRANCH, OrgCategory.ENTERPRISE, zone.regions[0])
    zone.org(
        zone.town_orgs["遥观镇"],
        places.RIDER_BRANCH,
        OrgLevel.BRANCH,
        OrgCategory.ENTERPRISE,
        zone.towns["遥观镇"],
    )
    for name, place in places.EXTERNAL_ORGS:
        zone.org(
            None,
            name,
            OrgLevel.BRANCH if name.endswith("支部委员会") else OrgLevel.COMMITTEE,
            OrgCategory.EXTERNAL,
            None,
            external_place=place,
        )


def _centre(grid: Region) -> tuple[float, float]:
    ring = grid.boundary["coordinates"][0]
    return (round((ring[0][1] + ring[2][1]) / 2, 6), round((ring[0][0] + ring[1][0]) / 2, 6))


def _station(
    zone: Zone,
    kind: str,
    name: str,
    grid: Region,
    org: PartyOrg | None,
    services: list[str],
    hours: str,
) -> Station:
    lat, lon = _centre(grid)
    town = next(t for t in zone.towns.values() if grid.path.startswith(t.path))
    station = Station(
        kind=kind,
        name=name,
        grid=grid,
        org=org,
        address=f"常州市{places.DISTRICT}{town.name}{zone.rng.choice(places.STREET_WORDS)}"
        f"{zone.rng.randrange(1, 400)}号",
        latitude=lat,
        longitude=lon,
        opening_hours=hours,
        services="\n".join(zone.rng.sample(services, k=min(len(services), 4))),
        contact_name=zone.person(),
        contact_phone=zone.phone(),
    )
    zone.stations.append(station)
    return station


def build_stations(zone: Zone) -> None:
    for grid in zone.grids:
        _station(
            zone,
            StationKind.GRID_STATION,
            f"{grid.name}党群直通站",
            grid,
            zone.grid_branches[id(grid)],
            places.GRID_SERVICES,
            "周一至周五 8:30-17:30",
        )
    express, sf = zone.named_orgs[places.EXPRESS_COMMITTEE], zone.named_orgs[places.SF_BRANCH]
    for i, grid in enumerate(zone.rng.sample(zone.grids, places.RED_POST_HOMES)):
        _station(
            zone,
            StationKind.RED_POST,
            f"快递物流“红驿家”{i + 1}号（{grid.parent.name}）",
            grid,
            express,
            places.RED_POST_SERVICES,
            "每天 8:00-20:00",
        )
    for i, grid in enumerate(zone.rng.sample(zone.grids, places.SERVICE_POINTS)):
        number = i + 1
        _station(
            zone,
            StationKind.SERVICE_POINT,
            f"顺丰{grid.parent.name}{number}号网点党群为民服务点",
            grid,
            sf,
            places.SERVICE_POINT_SERVICES,
            "每天 8:00-21:00",
        )
    magnets = [o for o in zone.orgs if o.category == OrgCategory.RED_MAGNET]
    for i in range(places.RED_MAGNET_HOMES):
        org = magnets[i % len(magnets)]
        grids = [g for g in zone.grids if g.path.startswith(org.region.path)]
        grid = zone.rng.choice(grids)
        _station(
            zone,
            StationKind.RED_MAGNET_HOME,
            f"“红磁场之家”{grid.parent.name}{i + 1}号",
            grid,
            org,
            places.MAGNET_SERVICES,
            "周一至周六 9:00-18:00",
        )
    name, town_name = places.SERVICE_CENTRE
    town_grids = [g for g in zone.grids if g.path.startswith(zone.towns[town_name].path)]
    _station(
        zone,
        StationKind.SERVICE_CENTRE,
        name,
        town_grids[0],
        zone.orgs[0],
        places.CENTRE_SERVICES,
        "周一至周日 8:30-20:30",
    )


ADMINISTRATORS = (
    ("sysadmin", Role.SYSTEM_ADMIN, "陈立新"),
    ("secadmin", Role.SECURITY_ADMIN, "周文静"),
    ("auditadmin", Role.AUDIT_ADMIN, "吴海燕"),
)


def build_accounts(zone: Zone) -> None:
    root = zone.orgs[0]
    first_grid = next(g for g in zone.grids if g.parent.name == "东方社区")
    branch = zone.grid_branches[id(first_grid)]
    town = zone.town_orgs[places.INDUSTRY_CHAIN_TOWN]
    centre = zone.town_orgs[places.SERVICE_CENTRE[1]]
    accounts = [
        ("district", Role.DISTRICT_ADMIN, root),
        ("town", Role.TOWN_ADMIN, town),
        ("secretary", Role.BRANCH_SECRETARY, branch),
        ("grid", Role.GRID_WORKER, branch),
        ("service", Role.SERVICE_STAFF, centre),
        ("liaison", Role.DEPARTMENT_LIAISON, root),
        ("auditor", Role.AUDITOR, root),
    ]
    users = []
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once
    for username, role, org in accounts:
        users.append(
            User(username=username, last_name=zone.person(), role=role, org=org, password=password)
        )
        zone.accounts.append((username, str(Role(role).label), org.name))
    # 三权分立: one account of each administrator, three different people. Their names are
    # fixed rather than drawn, so the zone built after them stays the same for every seed.
    for username, role, name in ADMINISTRATORS:
        users.append(
            User(username=username, last_name=name, role=role, org=root, password=password)
        )
        zone.accounts.append((username, str(Role(role).label), root.name))
    User.objects.bulk_create(users)


def _save_trees(zone: Zone) -> None:
    """Insert parents before children, one level at a time, so foreign keys resolve."""
    for model, nodes in ((Region, zone.regions), (PartyOrg, zone.orgs)):
        for depth in sorted({n.depth for n in nodes}):
            level = [n for n in nodes if n.depth == depth]
            for n in level:
                n.parent_id = n.parent.pk if n.parent else None
                n.name_initials = initials(n.name)  # bulk_create skips NameInitials.save()
            model.unscoped.bulk_create(level)
    Station.unscoped.bulk_create(zone.stations)


def analyze_tables() -> None:
    """Fresh planner statistics after a bulk build: PostgreSQL would otherwise plan the first
    requests with the statistics of the empty tables (until autovacuum comes by), and those
    plans can take minutes instead of milliseconds. ANALYZE counts this transaction's rows."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in apps.get_models() if m.__module__.startswith("heli.")]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def refresh_statistics(zone: Zone) -> None:
    """A step between the bulk inserts and the steps that query them (sweeps, letters,
    transfers): on PostgreSQL their plans would otherwise assume empty tables, and a sweep's
    planning query then runs for many minutes instead of a fraction of a second."""
    analyze_tables()


STEPS: list[Callable[[Zone], None]] = [
    build_regions_and_branches,
    build_special_orgs,
    build_stations,
]
# Steps that need the trees saved first (accounts, members, ...).
AFTER_SAVE_STEPS: list[Callable[[Zone], None]] = [
    build_accounts,
    build_members,
    build_check_ins,
    build_joined_branches,
    refresh_statistics,
    build_campaigns,
    build_letters,
    build_transfers,
    build_pending_check_ins,
    build_self_reports,
]


def zone_exists() -> bool:
    return Region.unscoped.exists()


@transaction.atomic
def clear_zone() -> None:
    clear_transfers()
    clear_letters()
    clear_campaigns()
    CheckIn.unscoped.all().delete()
    PendingCheckIn.unscoped.all().delete()
    wipe(FloatingEvent)
    FloatingRecord.unscoped.all().delete()
    wipe(MemberChange)
    Member.unscoped.all().delete()
    User.objects.filter(org__isnull=False).delete()
    Station.unscoped.all().delete()
    for model in (PartyOrg, Region):
        # Children first: delete level by level from the deepest.
        depths = model.unscoped.values_list("depth", flat=True).distinct().order_by("-depth")
        for depth in list(depths):
            model.unscoped.filter(depth=depth).delete()


@transaction.atomic
def build_zone(seed: int = 2024) -> Zone:
    zone = Zone(rng=random.Random(seed))
    for step in STEPS:
        step(zone)
    _save_trees(zone)
    for step in AFTER_SAVE_STEPS:
        step(zone)
    record(Actor.system("demo"), "demo.build", detail={"seed": seed, "grids": len(zone.grids)})
    analyze_tables()
    assert all(len(r.path) % STEP_WIDTH == 0 for r in zone.regions)
    return zone
