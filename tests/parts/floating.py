"""URL-matrix rows and world objects of the floating-record pages.

`NAMES` lists the URL names; `rows()` builds their matrix rows (called by test_url_matrix once
Route and Target exist); `add_to_world(w)` adds the objects the rows point at to the world.

The world gets the industry-chain committee and three active floating records:
- `outflow_record_a`: 王强 (branch A) left for 上海 120 days ago, never heard from since;
- `inflow_record_a`: 潘永贤 from 贵州三都 arrived in grid A 10 days ago, chain committee sees it;
- `outflow_record_b`: a member of town B who left for 苏州 40 days ago.
"""

from __future__ import annotations

import datetime as dt

NAMES: tuple[str, ...] = ()


def rows() -> dict:
    return {}


def add_to_world(w) -> None:
    from django.utils import timezone

    from heli.mobility.models import Document, FloatingRecord
    from heli.orgs.models import OrgCategory, OrgLevel
    from tests.factories import MemberFactory, PartyOrgFactory

    today = timezone.localdate()
    w.chain_org = PartyOrgFactory(
        name="绿色家居产业链党委",
        level=OrgLevel.COMMITTEE,
        category=OrgCategory.INDUSTRY_CHAIN,
        region=w.district,
        parent=w.root_org,
    )
    w.outflow_record_a = FloatingRecord.unscoped.create(
        member=w.outflow_a, direction="out", outflow_org=w.branch_a, place="上海市浦东新区",
        other_org_name="", since=today - dt.timedelta(days=120), flow_range="other_province",
        reason="work", expected_months=12, document=Document.TRANSFER,
    )  # fmt: skip
    w.inflow_record_a = FloatingRecord.unscoped.create(
        member=w.inflow_a, direction="in", outflow_org=w.external, industry_chain=w.chain_org,
        place="贵州省三都水族自治县", other_org_name=w.external.name, grid=w.grid_a,
        since=today - dt.timedelta(days=10), flow_range="other_province", reason="work",
        expected_months=None, place_certain=False, document=Document.ACTIVITY_CARD,
        occupation="家具厂工人", address="横林镇崔桥村",
    )  # fmt: skip
    w.floating_b = MemberFactory(
        name="周杰",
        org=w.branch_b,
        residence_grid=w.grid_b,
        status="floating",
        floating_direction="out",
        floating_place="江苏省苏州市",
    )
    w.outflow_record_b = FloatingRecord.unscoped.create(
        member=w.floating_b, direction="out", outflow_org=w.branch_b, place="江苏省苏州市",
        since=today - dt.timedelta(days=40), flow_range="province", reason="business",
        expected_months=3, document=Document.CERTIFICATE_LETTER,
    )  # fmt: skip
