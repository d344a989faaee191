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

NAMES: tuple[str, ...] = (
    "control:floating_list",
    "control:floating_export",
    "control:floating_lost",
    "control:floating_report",
    "control:floating_report_xlsx",
    "control:floating_temporary_branch",
    "control:floating_detail",
    "control:floating_contact",
    "control:floating_reveal",
    "control:floating_duties",
    "control:floating_confirm_inflow",
    "control:floating_return",
    "control:floating_nearby",
    "control:floating_create",
)


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import GRID_A, MEMBER_TARGETS, TOWN_B, Route, Target

    records = [Target("outflow_record_a", GRID_A), Target("outflow_record_b", TOWN_B)]
    inflow = [Target("inflow_record_a", GRID_A), Target("outflow_record_b", TOWN_B)]
    return {
        "control:floating_list": Route(Right.VIEW, query="?state=lost&direction=out"),
        "control:floating_export": Route(Right.VIEW),
        "control:floating_lost": Route(Right.VIEW),
        "control:floating_report": Route(Right.VIEW),
        "control:floating_report_xlsx": Route(Right.VIEW),
        "control:floating_temporary_branch": Route(Right.EDIT_MEMBERS),
        "control:floating_detail": Route(Right.VIEW, records + inflow[:1]),
        # Posted without data: nothing changes, back to the record with a message.
        "control:floating_contact": Route(Right.EDIT_MEMBERS, records, method="post", ok=302),
        "control:floating_reveal": Route(Right.VIEW_SENSITIVE, records, method="post"),
        "control:floating_duties": Route(Right.EDIT_MEMBERS, records),
        # Only inflow records are confirmed by the inflow side; town B's is an outflow (a
        # message and a redirect, after the scope allowed it).
        "control:floating_confirm_inflow": Route(Right.EDIT_MEMBERS, inflow, method="post", ok=302),
        "control:floating_return": Route(Right.EDIT_MEMBERS, records),
        "control:floating_nearby": Route(Right.EDIT_MEMBERS, inflow[:1]),
        "control:floating_create": Route(Right.EDIT_MEMBERS, MEMBER_TARGETS),
    }


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
        grid=w.grid_a,
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
        grid=w.grid_b,
        since=today - dt.timedelta(days=40), flow_range="province", reason="business",
        expected_months=3, document=Document.CERTIFICATE_LETTER,
    )  # fmt: skip
