"""Figures of floating-member work, counted from records in the user's scope."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.mobility import floating
from heli.mobility.checkins import record_check_in
from heli.reports.floating import figures
from tests import sheets

pytestmark = pytest.mark.django_db


def _as(user):
    return activate(user.scope())


def test_the_figures_count_what_the_records_say(world):
    actor = Actor(user=world.users["grid_worker"])
    with _as(world.users["district_admin"]):
        before = figures()
    assert (before.floating, before.outflow, before.inflow) == (3, 2, 1)
    assert (before.check_in_points, before.joined, before.lost) == (0, 0, 1)
    record_check_in(actor, world.member_a, world.station_a)
    record_check_in(actor, world.inflow_a, world.station_a)  # the same station: one point
    floating.join_branch(actor, world.inflow_record_a, world.branch_a, timezone.localdate())
    with _as(world.users["district_admin"]):
        after = figures()
    assert (after.check_in_points, after.joined) == (1, 1)


def test_a_town_sees_its_own_figures(world):
    record_check_in(Actor(user=None), world.member_b, world.station_b)
    with _as(world.users["outsider"]):
        town_b = figures()
    assert (town_b.floating, town_b.outflow, town_b.inflow) == (1, 1, 0)
    assert (town_b.check_in_points, town_b.lost) == (1, 0)


def test_the_share_is_of_all_active_members(world):
    with _as(world.users["district_admin"]):
        result = figures()
    # 张伟, 李娜, 王强, 潘永贤, 赵敏, 周杰 are active (钱进 is deleted): 3 floating of 6.
    assert (result.members, result.share_percent) == (6, 50.0)


def test_the_report_lists_each_town_and_the_total(world, client_for):
    client = client_for(world.users["district_admin"])
    response = client.get(reverse("control:floating_report"))
    towns = {row["town"].name: row for row in response.context["figures"].towns}
    assert (towns["横林镇"]["outflow"], towns["横林镇"]["inflow"], towns["横林镇"]["lost"]) == (
        1,
        1,
        1,
    )
    assert towns["遥观镇"]["outflow"] == 1
    sheet = sheets.read(client.get(reverse("control:floating_report_xlsx")))
    assert sheet.info[0] == "流动党员工作报告"
    total = sheet.rows[len(towns)]  # one row per town, then the total
    assert total[0] == "合计" and total[1:4] == [3, 2, 1]
    # Below, every figure has its own label.
    labelled = {row[0]: row[1] for row in sheet.rows[len(towns) + 3 :]}
    assert labelled["流动党员"] == 3 and labelled["失联"] == 1
    assert all(isinstance(label, str) and label for label in labelled)


def test_the_dashboard_shows_the_work_figures(world, client_for):
    page = client_for(world.users["district_admin"]).get(reverse("control:dashboard"))
    work = page.context["work"]
    assert (work.floating, work.lost) == (3, 1)
    assert 'data-testid="stat-lost"' in page.content.decode()
