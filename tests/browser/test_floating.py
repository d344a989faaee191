"""An unknown person checks in on a phone; the station's branch confirms her, registers her
inflow and places her in a nearby branch."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from heli.core.scoping import Scope, activate
from heli.members.models import Member
from heli.mobility.models import CheckIn, FloatingRecord, PendingCheckIn
from heli.stations.models import Station, StationKind
from tests.browser.helpers import login, pick
from tests.factories import make_id_number

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SANDU = "中共三都水族自治县三洞乡石板村支部委员会"


def _secretarys_station() -> Station:
    from heli.accounts.models import User

    secretary = User.objects.get(username="secretary")
    with activate(Scope.everything()):
        return Station.objects.get(grid=secretary.org.region, kind=StationKind.GRID_STATION)


@pytest.mark.browser
def test_an_unknown_person_is_confirmed_registered_and_joins_a_nearby_branch(zone, new_context):
    station = _secretarys_station()
    born = dt.date(1992, 4, 18)
    number = make_id_number(born, "F")

    phone = new_context(**PHONE).new_page()
    phone.goto(f"/s/{station.token}/")
    phone.get_by_label("姓名").fill("韦秀英")
    phone.get_by_label("公民身份号码或手机号码").fill(number)
    phone.get_by_test_id("check-in").click()
    phone.get_by_test_id("check-in-done").wait_for()
    assert PendingCheckIn.unscoped.filter(name="韦秀英", station=station).count() == 1

    page = new_context().new_page()
    login(page, "secretary")
    page.goto("/check-ins/")
    row = page.get_by_test_id("pending-table").locator("tr", has_text="韦秀英")
    row.get_by_test_id("confirm").click()
    assert page.locator("#id_id_number").input_value() == number  # revealed for the branch
    page.locator("#id_gender").select_option("F")
    page.locator("#id_ethnicity").select_option("水族")
    page.locator("#id_education").select_option("high_school")
    pick(page, "id_org", "石板村", SANDU)
    page.locator("#id_joined_on").fill("2015-07-01")
    page.locator("#id_full_on").fill("2016-07-01")
    page.locator("#id_floating_place").fill("贵州省三都水族自治县")
    page.locator("main form button.btn-party").click()

    # On to the inflow registration, started with the station's grid.
    page.wait_for_url(re.compile(r"/members/\d+/floating/new/"))
    assert Member.unscoped.get(name="韦秀英").birth_date == born  # read from the ID number
    assert page.locator("#id_direction").input_value() == "in"
    assert page.locator("#id_place").input_value() == "贵州省三都水族自治县"
    page.locator("#id_flow_range").select_option("other_province")
    page.locator("#id_reason").select_option("work")
    page.locator("#id_occupation").fill("马尾绣工人")
    page.locator("main form button.btn-party").click()
    page.wait_for_url(re.compile(r"/floating/\d+/$"))
    page.get_by_test_id("join-nearby").click()
    first = page.get_by_test_id("suggestions").locator("tbody tr").first
    branch_name = first.locator("label").inner_text()
    page.get_by_test_id("assign").click()
    page.wait_for_url(re.compile(r"/floating/\d+/$"))
    assert page.get_by_test_id("joined-branch").inner_text().startswith(branch_name)
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "就近编入支部" in timeline and "在阵地报到" in timeline

    member = Member.unscoped.get(name="韦秀英")
    record = FloatingRecord.unscoped.get(member=member)
    assert (member.status, record.direction, record.grid_id) == ("floating", "in", station.grid_id)
    assert record.joined_org.name == branch_name
    # Her check-in counts from the day she scanned, at the station she scanned.
    assert CheckIn.unscoped.filter(member=member, station=station).count() == 1
