"""The check-in benchmark's own database: a minimal zone, its members, and the count afterwards.

Run in a child process that has the bench server's environment (the database URL and the
keys: ID digests computed here must be those the server computes), as
`python -m heli.bench.world prepare PLAN.json --members N` and
`python -m heli.bench.world count PLAN.json`. Members go in through the demo's path (built in
code, ID numbers validated and protected by `heli.members.sensitive`, written by the import
writer, floating records as the demo makes them), so digests and ciphers are real.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

AREA = "320411"  # 常州市新北区: not an area the generated test or demo numbers use
PLACES = ("安徽省合肥市", "河南省信阳市", "四川省南充市", "江苏省盐城市")


def duplicate_groups(queryset: Any, fields: Iterable[str]) -> int:
    """How many groups of rows share the same `fields` (GROUP BY … HAVING count > 1)."""
    from django.db.models import Count

    return queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).order_by().count()


def check_in_duplicates() -> int:
    """Groups of check-ins of the same member at the same station on the same day: must be 0."""
    from heli.mobility.models import CheckIn

    return duplicate_groups(CheckIn.unscoped.all(), ("member_id", "station_id", "day"))


def identity(i: int) -> tuple[str, str]:
    """The name and ID number of the i-th bench member (valid GB 11643 numbers, all distinct
    for i below 36,500,000)."""
    from heli.members import idcard

    born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)
    return f"党员{i}", idcard.make(AREA, born, i % 1000)


def reset_database() -> None:
    """Empty the bench database before migrating: PostgreSQL's public schema is dropped, which
    is refused unless the database name says it is a bench database. (SQLite: the caller
    deletes the file.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise RuntimeError(f"refusing to wipe database {name!r}: its name must contain 'bench'")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def _node(model: type, parent: Any = None, **fields: Any) -> Any:
    from heli.core.tree import allocate_child_path

    path, depth = allocate_child_path(model, parent)
    return model.unscoped.create(parent=parent, path=path, depth=depth, **fields)


def build_zone() -> tuple[Any, Any]:
    """District → town → village → grid, a branch of the grid, and one station: (station,
    branch)."""
    from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind
    from heli.stations.models import Station, StationKind

    district = _node(Region, name="基准区", kind=RegionKind.DISTRICT)
    town = _node(Region, district, name="基准镇", kind=RegionKind.TOWN)
    village = _node(Region, town, name="基准村", kind=RegionKind.VILLAGE)
    grid = _node(Region, village, name="基准村第一网格", kind=RegionKind.GRID)
    committee = _node(
        PartyOrg, name="基准区党工委", level=OrgLevel.WORKING_COMMITTEE,
        category=OrgCategory.REGIONAL, region=district,
    )  # fmt: skip
    branch = _node(
        PartyOrg, committee, name="基准村第一网格党支部", level=OrgLevel.BRANCH,
        category=OrgCategory.REGIONAL, region=grid,
    )  # fmt: skip
    station = Station.unscoped.create(
        kind=StationKind.GRID_STATION, name="基准村网格党群直通站", grid=grid, org=branch
    )
    return station, branch


def build_members(count: int, branch: Any) -> None:
    """`count` inflow floating members of the branch, each with an active floating record:
    the people a station's check-in form is for (their check-in also restarts the record's
    lost-contact clock)."""
    from django.utils import timezone

    from heli.core.ids import allocate_ids
    from heli.members import idcard, sensitive
    from heli.members.choices import FloatingDirection, MemberStatus
    from heli.members.imports import writer
    from heli.members.models import Member
    from heli.mobility.floating import document_for
    from heli.mobility.models import FloatingRecord, FlowRange, FlowReason

    today, now = dt.date.today(), timezone.now()
    members = []
    pks = allocate_ids(Member, count)  # the numbers are encrypted for their rows
    for i in range(count):
        name, number = identity(i)
        born = idcard.birth_date(number)
        member = Member(
            name=name, gender=idcard.gender(number), ethnicity="汉族", birth_date=born,
            education="high_school", joined_on=born.replace(year=born.year + 30),
            membership="full", full_on=born.replace(year=born.year + 31), org=branch,
            residence_grid=branch.region, occupation="worker", status=MemberStatus.FLOATING,
            floating_direction=FloatingDirection.IN, floating_place=PLACES[i % len(PLACES)],
            floating_since=today - dt.timedelta(days=30 + i % 300),
        )  # fmt: skip
        member.pk = pks[i]
        sensitive.set_id_number(member, number)
        members.append(member)
    writer.write_members(members, username="bench", batch="bench")
    # The floating records the demo gives its floating members (heli.demo.people), in bulk.
    ids = Member.unscoped.order_by("pk").values_list("pk", flat=True)
    FloatingRecord.unscoped.bulk_create(
        (
            FloatingRecord(
                member_id=pk,
                direction=FloatingDirection.IN,
                inflow_org=branch,
                place=member.floating_place,
                since=member.floating_since,
                flow_range=FlowRange.OTHER_PROVINCE,
                reason=FlowReason.WORK,
                expected_months=12,
                document=document_for(12, True),
                grid=branch.region,
                last_contact_at=now - dt.timedelta(days=20),
            )
            for pk, member in zip(ids, members, strict=True)
        ),
        batch_size=2000,
    )


def prepare(members: int) -> dict[str, Any]:
    """Migrate the (empty) bench database and fill it. The last identity is kept out of the
    load and used by the same-member burst."""
    from django.core.management import call_command
    from django.db import transaction

    from heli.core.scoping import Scope, activate

    reset_database()
    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic(), activate(Scope.everything()):
        station, branch = build_zone()
        build_members(members, branch)
    return {"token": station.token, "members": members}


def count(plan: dict[str, Any]) -> dict[str, int]:
    """What the load left behind."""
    from heli.audit.models import AuditEntry
    from heli.core import crypto
    from heli.members.sensitive import ID_PURPOSE
    from heli.mobility.models import CheckIn, FloatingRecord, PendingCheckIn

    _name, burst_number = identity(plan["members"] - 1)
    check_ins = CheckIn.unscoped.all()
    return {
        "check_ins": check_ins.count(),
        "members_checked_in": check_ins.values("member_id").distinct().count(),
        "duplicates": check_in_duplicates(),
        "pending": PendingCheckIn.unscoped.count(),
        "audited": AuditEntry.unscoped.filter(action="checkin.create").count(),
        # A QR check-in is self-reported: it moves the records' last report, not their contact.
        "reported": FloatingRecord.unscoped.filter(last_reported_at__isnull=False).count(),
        "burst_rows": check_ins.filter(
            member__id_digest=crypto.digest(ID_PURPOSE, burst_number)
        ).count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m heli.bench.world")
    parser.add_argument("action", choices=["prepare", "count"])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--members", type=int, default=20_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heli.bench.settings")
    import django

    django.setup()
    if args.action == "prepare":
        args.plan.write_text(json.dumps(prepare(args.members)))
    else:
        json.dump(count(json.loads(args.plan.read_text())), sys.stdout)


if __name__ == "__main__":
    main()
