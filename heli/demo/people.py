"""Demo party members: about 17,000 records whose figures reproduce the article's.

The article: 581 floating members, 3.4% of all members; 149 flowed out (each later sent a
reminder letter) and 432 flowed in (each joined a nearby branch). So the zone has 17,100 active
members. A few former members (transferred out, deceased) are in the registry too; they count
in no ledger.
"""

from __future__ import annotations

import datetime as dt
import random

from heli.core.ids import IdPool
from heli.demo import places
from heli.members import dates, idcard, sensitive
from heli.members.choices import (
    Education,
    FloatingDirection,
    Membership,
    MemberStatus,
    Occupation,
)
from heli.members.imports import writer
from heli.members.models import Member
from heli.orgs.models import OrgCategory, OrgLevel

ACTIVE_MEMBERS = 17_100
OUTFLOW = 149
INFLOW = 432
IN_SERVICE = 620  # 在职党员 of zone and city bodies reporting to their home communities
FORMER = {MemberStatus.TRANSFERRED_OUT: 46, MemberStatus.DECEASED: 31}
TODAY = dt.date(2026, 11, 1)

LOCAL_AREAS = ["320411", "320412", "320402", "320404", "320405"]
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志文海燕晓东春荣辉鹏飞"
    "雪琴婷慧颖佳俊峰斌浩宇欣怡晨阳凯丹萍"
)
OUT_PLACES = [
    "上海市浦东新区",
    "江苏省苏州市工业园区",
    "浙江省杭州市余杭区",
    "广东省深圳市南山区",
    "江苏省南京市江宁区",
    "江苏省无锡市新吴区",
    "北京市朝阳区",
    "浙江省宁波市鄞州区",
]
EMPLOYERS = [
    "中车戚墅堰机车车辆工艺研究所",
    "宏达数控有限公司",
    "兰陵高分子材料有限公司",
    "雷利电机股份有限公司",
    "博瑞电力自动化设备有限公司",
    "顺丰速运常州分公司",
    "横林绿色家居产业园",
    "遥观镇商贸城",
    "经开区社区卫生服务中心",
    "经开区实验小学",
]
CHAIN_EMPLOYERS = ["常州绿色家居地板有限公司", "横林木业制品有限公司", "江南家居装饰材料有限公司"]
OCCUPATIONS_LOCAL = [
    (Occupation.WORKER, 30),
    (Occupation.FARMER, 12),
    (Occupation.MANAGER, 8),
    (Occupation.PROFESSIONAL, 12),
    (Occupation.RETIRED, 22),
    (Occupation.SELF_EMPLOYED, 5),
    (Occupation.INSTITUTION, 4),
    (Occupation.STUDENT, 2),
    (Occupation.OTHER, 3),
    (Occupation.COURIER, 1),
    (Occupation.RIDER, 1),
]
OCCUPATIONS_INFLOW = [
    (Occupation.WORKER, 50),
    (Occupation.COURIER, 12),
    (Occupation.RIDER, 14),
    (Occupation.STREAMER, 4),
    (Occupation.SELF_EMPLOYED, 10),
    (Occupation.MANAGER, 5),
    (Occupation.STUDENT, 5),
]
EDUCATION = [
    (Education.DOCTORATE, 1), (Education.MASTER, 5), (Education.BACHELOR, 28),
    (Education.COLLEGE, 24), (Education.VOCATIONAL, 12), (Education.HIGH_SCHOOL, 16),
    (Education.JUNIOR, 14),
]  # fmt: skip
EXTRA_EXTERNAL_ORGS = [
    ("中共岳池县罗渡镇委员会", "四川省广安市岳池县", "511621"),
    ("中共鄱阳县饶丰镇委员会", "江西省上饶市鄱阳县", "361128"),
    ("中共邵东市火厂坪镇委员会", "湖南省邵阳市邵东市", "430521"),
    ("中共常州市级机关工作委员会", "江苏省常州市", "320402"),
]
EXTERNAL_AREAS = {
    "贵州省黔南布依族苗族自治州三都水族自治县": "522732",
    "河南省信阳市固始县": "411525",
    "安徽省安庆市宿松县": "340826",
    "江苏省泰州市兴化市": "321281",
    "江苏省盐城市射阳县": "320924",
}


def _weighted(rng: random.Random, table) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


class PeopleMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_ids: set[str] = set()
        self.pks = IdPool(Member)  # numbers are encrypted for their member's row

    def name(self) -> str:
        return self.rng.choice(places.SURNAMES) + "".join(
            self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2)))
        )

    def id_number(self, area: str, born: dt.date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 999)
            if (sequence % 2 == 1) != (gender == "M"):
                sequence = (sequence + 1) % 1000
            number = idcard.make(area, born, sequence)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def member(self, *, org, area: str, **fields) -> Member:
        rng = self.rng
        gender = fields.pop("gender", rng.choice("MMMF"))
        born = fields.pop("birth_date", None) or TODAY - dt.timedelta(
            days=rng.randrange(19 * 365, 85 * 365)
        )
        number = self.id_number(area, born, gender)
        earliest = born + dt.timedelta(days=18 * 365 + 5)
        joined = earliest + dt.timedelta(days=rng.randrange(0, max(1, (TODAY - earliest).days)))
        # A year's probation to the day (services.check_consistency): 365 days is a day short
        # when the year has a 29 February.
        full_on = dates.add_years(joined, 1)
        probationary = full_on > TODAY
        phone = "1" + rng.choice("3456789") + "".join(str(rng.randrange(10)) for _ in range(9))
        member = Member(
            name=fields.pop("name", None) or self.name(),
            gender=gender,
            ethnicity=fields.pop("ethnicity", "汉族"),
            birth_date=born,
            education=_weighted(rng, EDUCATION),
            joined_on=joined,
            membership=Membership.PROBATIONARY if probationary else Membership.FULL,
            full_on=None if probationary else full_on,
            org=org,
            **fields,
        )
        member.pk = self.pks.take()
        sensitive.apply_id(member, sensitive.protect_id(number, member.pk))
        if rng.random() < 0.88:
            sensitive.apply_phone(member, sensitive.protect_phone(phone, member.pk))
        return member


def build_members(zone) -> None:
    from heli.orgs.models import PartyOrg

    rng = random.Random(zone.rng.random())
    maker = PeopleMaker(rng)
    externals = {}
    for name, place, area in EXTRA_EXTERNAL_ORGS:
        externals[name] = (
            PartyOrg.unscoped.create(
                name=name,
                level=OrgLevel.COMMITTEE,
                category=OrgCategory.EXTERNAL,
                external_place=place,
                path=_next_root_path(),
                depth=0,
            ),
            area,
        )
    for org in PartyOrg.unscoped.filter(category=OrgCategory.EXTERNAL).exclude(name__in=externals):
        externals[org.name] = (org, EXTERNAL_AREAS[org.external_place])
    city_bodies = externals.pop("中共常州市级机关工作委员会")
    grid_branches = list(zone.grid_branches.values())
    grids = zone.grids
    chain = zone.named_orgs[places.INDUSTRY_CHAIN_ORG]
    chain_grids = [g for g in grids if g.path.startswith(chain.region.path)]
    other_branches = [
        o for o in zone.orgs
        if o.level == OrgLevel.BRANCH and o.category != OrgCategory.REGIONAL
        and o.category != OrgCategory.EXTERNAL
    ]  # fmt: skip
    members: list[Member] = []

    # 流入 inflow: relationship held outside the zone, living and working here.
    external_list = list(externals.values())
    members.append(
        maker.member(
            org=externals["中共三都水族自治县三洞乡石板村支部委员会"][0],
            area="522732",
            name="潘永贤",
            gender="F",
            ethnicity="水族",
            residence_grid=chain_grids[0],
            employer="金凤凰水族马尾绣品有限公司",
            occupation=Occupation.SELF_EMPLOYED,
            status=MemberStatus.FLOATING,
            floating_direction=FloatingDirection.IN,
            floating_place="贵州省三都水族自治县石板村",
            floating_since=dt.date(2019, 3, 1),
        )
    )
    for _ in range(INFLOW - 1):
        org, area = rng.choice(external_list)
        in_chain = rng.random() < 0.45
        grid = rng.choice(chain_grids if in_chain else grids)
        members.append(
            maker.member(
                org=org,
                area=area,
                ethnicity="水族" if area == "522732" and rng.random() < 0.6 else "汉族",
                residence_grid=grid,
                employer=rng.choice(CHAIN_EMPLOYERS if in_chain else EMPLOYERS),
                industry_chain=chain if in_chain else None,
                occupation=_weighted(rng, OCCUPATIONS_INFLOW),
                status=MemberStatus.FLOATING,
                floating_direction=FloatingDirection.IN,
                floating_place=org.external_place,
                floating_since=TODAY - dt.timedelta(days=rng.randrange(30, 2500)),
            )
        )
    # 流出 outflow: relationship held here, living and working elsewhere.
    for _ in range(OUTFLOW):
        branch = rng.choice(grid_branches)
        members.append(
            maker.member(
                org=branch,
                area=rng.choice(LOCAL_AREAS),
                residence_grid=branch.region,
                occupation=_weighted(rng, OCCUPATIONS_LOCAL),
                status=MemberStatus.FLOATING,
                floating_direction=FloatingDirection.OUT,
                floating_place=rng.choice(OUT_PLACES),
                floating_since=TODAY - dt.timedelta(days=rng.randrange(30, 1500)),
                employer=rng.choice(EMPLOYERS),
            )
        )
    # 在职 in service: relationship at a zone or city body, reported to the home community.
    for _ in range(IN_SERVICE):
        grid = rng.choice(grids)
        org, area = (zone.orgs[0], rng.choice(LOCAL_AREAS)) if rng.random() < 0.6 else city_bodies
        members.append(
            maker.member(
                org=org,
                area=area,
                residence_grid=grid,
                reported_to=grid.parent,
                reported_on=TODAY - dt.timedelta(days=rng.randrange(10, 1200)),
                occupation=rng.choice([Occupation.CIVIL_SERVANT, Occupation.INSTITUTION]),
                employer="常州经开区管委会" if org is zone.orgs[0] else "常州市级机关",
            )
        )
    # 隶属 the rest: members of the zone's branches, most in grid branches.
    remaining = ACTIVE_MEMBERS - len(members)
    for i in range(remaining):
        branch = rng.choice(other_branches) if i % 25 == 0 else rng.choice(grid_branches)
        grid = branch.region if branch.region and branch.region.is_grid else rng.choice(grids)
        occupation = _weighted(rng, OCCUPATIONS_LOCAL)
        members.append(
            maker.member(
                org=branch,
                area=rng.choice(LOCAL_AREAS),
                residence_grid=grid,
                occupation=occupation,
                employer=""
                if occupation in (Occupation.RETIRED, Occupation.FARMER)
                else rng.choice(EMPLOYERS),
            )
        )
    for status, count in FORMER.items():
        for _ in range(count):
            members.append(
                maker.member(
                    org=rng.choice(grid_branches), area=rng.choice(LOCAL_AREAS), status=status
                )
            )
    zone.members = writer.write_members(members, username="demo", batch="demo")
    build_floating_records(rng)


def _days_away(member: Member) -> int:
    """Days since the member left or arrived (at least 1, at most 220 for the demo's clock)."""
    return max(1, min(220, (TODAY - member.floating_since).days))


def build_floating_records(rng: random.Random) -> None:
    """A floating record for every floating member, mirroring the member's floating fields."""
    from heli.mobility.floating import document_for
    from heli.mobility.models import FloatingRecord, FlowRange, FlowReason

    records = []
    floating = Member.unscoped.filter(status=MemberStatus.FLOATING).select_related("org")
    for member in floating.order_by("pk"):
        outflow = member.floating_direction == FloatingDirection.OUT
        months = rng.choice([None, 3, 5, 8, 12, 24, 36])
        certain = months is not None and rng.random() < 0.85
        place = member.floating_place
        records.append(
            FloatingRecord(
                member=member, direction=member.floating_direction,
                outflow_org=member.org if outflow else None,
                industry_chain_id=member.industry_chain_id, place=place,
                since=member.floating_since, expected_months=months, place_certain=certain,
                document=document_for(months, certain),
                flow_range=FlowRange.PROVINCE if place.startswith("江苏") else
                FlowRange.OTHER_PROVINCE,
                reason=rng.choice([FlowReason.WORK] * 6 + [FlowReason.BUSINESS, FlowReason.STUDY]),
                occupation=member.get_occupation_display(), grid=member.residence_grid,
                # Some contact since leaving or arriving (never before it).
                last_contact_at=dt.datetime.combine(
                    TODAY - dt.timedelta(days=rng.randrange(0, _days_away(member))),
                    dt.time(10), tzinfo=dt.UTC,
                ),
            )
        )  # fmt: skip
    FloatingRecord.unscoped.bulk_create(records, batch_size=1000)


def _next_root_path() -> str:
    from heli.core.tree import allocate_child_path
    from heli.orgs.models import PartyOrg

    return allocate_child_path(PartyOrg, None)[0]
