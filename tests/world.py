"""A small zone with two towns, used by the tests as owner, colleague and outsider.

District 常州经开区 (党工委)            ← district_admin, liaison, auditor, and the system,
                                          security and audit administrators
├── town A 横林镇 (党委)                 ← town_admin, service_staff
│   ├── village A1 崔桥村 (党总支)
│   │   ├── grid A1-1 (branch, station)  ← branch_secretary, grid_worker
│   │   └── grid A1-2 (branch, station)
│   └── enterprise branch of town A (not regional)
└── town B 遥观镇 (党委)                 ← outsider (town admin of B)
    └── village B1 剑湖村 (党总支)
        └── grid B1-1 (branch, station)
External organization (outside the zone): visible to every staff user.
"""

from __future__ import annotations

from types import SimpleNamespace

from heli.accounts.roles import Role
from heli.orgs.models import OrgCategory, OrgLevel, RegionKind
from tests.factories import (
    MemberFactory,
    PartyOrgFactory,
    RegionFactory,
    StationFactory,
    UserFactory,
)
from tests.import_matrix import add_import_jobs
from tests.parts import PARTS

# Roles of the matrix, with where each account sits.
ROLES = [
    "district_admin",
    "town_admin",
    "branch_secretary",
    "grid_worker",
    "service_staff",
    "department_liaison",
    "auditor",
    "outsider",
    "system_admin",
    "security_admin",
    "audit_admin",
]


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.district = RegionFactory(name="常州经开区", kind=RegionKind.DISTRICT)
    w.root_org = PartyOrgFactory(
        name="常州经开区党工委", level=OrgLevel.WORKING_COMMITTEE, region=w.district
    )
    w.town_a = RegionFactory(name="横林镇", kind=RegionKind.TOWN, parent=w.district)
    w.town_b = RegionFactory(name="遥观镇", kind=RegionKind.TOWN, parent=w.district)
    w.town_a_org = PartyOrgFactory(
        name="横林镇党委", level=OrgLevel.COMMITTEE, region=w.town_a, parent=w.root_org
    )
    w.town_b_org = PartyOrgFactory(
        name="遥观镇党委", level=OrgLevel.COMMITTEE, region=w.town_b, parent=w.root_org
    )
    w.village_a = RegionFactory(name="崔桥村", kind=RegionKind.VILLAGE, parent=w.town_a)
    w.village_b = RegionFactory(name="剑湖村", kind=RegionKind.VILLAGE, parent=w.town_b)
    w.village_a_org = PartyOrgFactory(
        name="崔桥村党总支",
        level=OrgLevel.GENERAL_BRANCH,
        region=w.village_a,
        parent=w.town_a_org,
    )
    w.village_b_org = PartyOrgFactory(
        name="剑湖村党总支",
        level=OrgLevel.GENERAL_BRANCH,
        region=w.village_b,
        parent=w.town_b_org,
    )
    w.grid_a = RegionFactory(name="崔桥村第1网格", parent=w.village_a)
    w.grid_a2 = RegionFactory(name="崔桥村第2网格", parent=w.village_a)
    w.grid_b = RegionFactory(name="剑湖村第1网格", parent=w.village_b)
    w.branch_a = PartyOrgFactory(
        name="崔桥村第1网格党支部", region=w.grid_a, parent=w.village_a_org
    )
    w.branch_a2 = PartyOrgFactory(
        name="崔桥村第2网格党支部", region=w.grid_a2, parent=w.village_a_org
    )
    w.branch_b = PartyOrgFactory(
        name="剑湖村第1网格党支部", region=w.grid_b, parent=w.village_b_org
    )
    w.enterprise_a = PartyOrgFactory(
        name="横林家居企业党支部",
        category=OrgCategory.ENTERPRISE,
        region=w.town_a,
        parent=w.town_a_org,
    )
    w.external = PartyOrgFactory(
        name="三都县石板村党支部",
        category=OrgCategory.EXTERNAL,
        external_place="贵州省三都水族自治县",
    )
    w.station_a = StationFactory(name="崔桥村第1网格党群直通站", grid=w.grid_a, org=w.branch_a)
    w.station_a2 = StationFactory(name="崔桥村第2网格党群直通站", grid=w.grid_a2, org=w.branch_a2)
    w.station_b = StationFactory(name="剑湖村第1网格党群直通站", grid=w.grid_b, org=w.branch_b)

    # Members: one of each ledger around grid A, and one member of town B.
    w.member_a = MemberFactory(name="张伟", org=w.branch_a, residence_grid=w.grid_a)
    w.member_b = MemberFactory(name="李娜", org=w.branch_b, residence_grid=w.grid_b)
    w.outflow_a = MemberFactory(
        name="王强",
        org=w.branch_a,
        residence_grid=w.grid_a,
        status="floating",
        floating_direction="out",
        floating_place="上海市浦东新区",
    )
    w.inflow_a = MemberFactory(
        name="潘永贤",
        org=w.external,
        residence_grid=w.grid_a,
        status="floating",
        floating_direction="in",
        floating_place="贵州省三都水族自治县",
        ethnicity="水族",
    )
    w.in_service_a = MemberFactory(
        name="赵敏",
        org=w.root_org,
        residence_grid=w.grid_a2,
        reported_to=w.village_a,
    )
    w.deleted_a = MemberFactory(name="钱进", org=w.branch_a, residence_grid=w.grid_a)
    w.users = {
        "district_admin": UserFactory(
            username="district", role=Role.DISTRICT_ADMIN, org=w.root_org
        ),
        "town_admin": UserFactory(username="town_a", role=Role.TOWN_ADMIN, org=w.town_a_org),
        "branch_secretary": UserFactory(
            username="secretary_a", role=Role.BRANCH_SECRETARY, org=w.branch_a
        ),
        "grid_worker": UserFactory(username="worker_a", role=Role.GRID_WORKER, org=w.branch_a),
        "service_staff": UserFactory(
            username="service_a", role=Role.SERVICE_STAFF, org=w.town_a_org
        ),
        "department_liaison": UserFactory(
            username="liaison", role=Role.DEPARTMENT_LIAISON, org=w.root_org
        ),
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR, org=w.root_org),
        "outsider": UserFactory(username="town_b", role=Role.TOWN_ADMIN, org=w.town_b_org),
        # 三权分立: the three administrators of the zone, each a person of their own.
        "system_admin": UserFactory(username="sysadmin", role=Role.SYSTEM_ADMIN, org=w.root_org),
        "security_admin": UserFactory(
            username="secadmin", role=Role.SECURITY_ADMIN, org=w.root_org
        ),
        "audit_admin": UserFactory(username="auditadmin", role=Role.AUDIT_ADMIN, org=w.root_org),
    }
    from django.utils import timezone

    w.deleted_a.deleted_at = timezone.now()
    w.deleted_a.deleted_reason = "重复录入"
    w.deleted_a.save()
    add_import_jobs(w)
    w.pending_a = _pending(w.station_a, "陌生人甲")
    w.pending_b = _pending(w.station_b, "陌生人乙")
    for part in PARTS:
        part.add_to_world(w)
    return w


def _pending(station, name):
    from django.utils import timezone

    from heli.audit.services import Actor
    from heli.mobility.checkins import Identity, register_unknown
    from tests.factories import make_id_number

    identity = Identity(name=name, id_number=make_id_number())
    pending = register_unknown(Actor(user=None), identity, station)
    assert pending.day == timezone.localdate()
    return pending
