"""Choosing in a form's picker: typed pinyin initials find an organization, the pick is saved,
text that was never picked is an error rather than a silent keep of the old value, and a
member with a long label is picked and saved too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from heli.core.scoping import Scope, activate
from heli.members.models import Member
from heli.mobility.models import CheckIn, CheckInSource
from heli.stations.models import Station
from tests.browser.helpers import TIMEOUT_MS, login, pick

pytestmark = pytest.mark.browser

STATION = "东方社区第1网格党群直通站"
OLD_ORG = "东方社区第1网格党支部"
NEW_ORG = "东方社区第2网格党支部"


def _open_edit_form(page, station: Station) -> None:
    page.goto(f"/stations/{station.pk}/edit/")
    # The current organization is the chosen option, labelled with its parent.
    expect(page.locator("#id_org-ts-control").locator("xpath=..")).to_contain_text(OLD_ORG)


def _save(page) -> None:
    with page.expect_navigation():
        page.locator("main form button.btn-party").click()


def test_a_district_admin_finds_an_organization_by_its_initials_and_saves_it(page, zone):
    station = Station.unscoped.get(name=STATION)
    login(page, "district")
    _open_edit_form(page, station)

    pick(page, "id_org", "dfsqd2wg", NEW_ORG)
    _save(page)

    assert page.url.endswith(f"/stations/{station.pk}/")
    assert Station.unscoped.select_related("org").get(pk=station.pk).org.name == NEW_ORG


def test_typed_text_that_was_never_picked_is_an_error_and_nothing_is_saved(page, zone):
    station = Station.unscoped.get(name=STATION)
    login(page, "district")
    _open_edit_form(page, station)

    page.locator("#id_org-ts-control").locator("xpath=..").click()
    page.keyboard.type("不存在的党支部")
    dropdown = page.locator("#id_org-ts-dropdown")
    expect(dropdown).to_contain_text("没有相符的结果", timeout=TIMEOUT_MS)
    _save(page)

    errors = page.locator("main form .invalid-feedback")
    expect(errors).to_contain_text("“不存在的党支部”不在可选范围内")
    expect(errors).to_contain_text("请输入名称的一部分、拼音首字母或上级名称")
    assert Station.unscoped.select_related("org").get(pk=station.pk).org.name == OLD_ORG


def test_a_grid_worker_picks_a_member_with_a_long_label_and_the_save_goes_through(page, zone):
    """The box keeps one line when it loses focus: the click on Save that blurs it lands."""
    station = Station.unscoped.get(name=STATION)
    with activate(Scope.everything()):
        member = Member.objects.filter(org=station.org, status="normal").order_by("pk").first()
    login(page, "grid")
    page.goto(f"/stations/{station.pk}/check-in/")
    pick(page, "id_member", member.name, f"{member.name} · {member.id_mask}")
    _save(page)

    assert page.url.endswith(f"/stations/{station.pk}/")
    check_in = CheckIn.unscoped.get(station=station, member=member)
    assert check_in.source == CheckInSource.STAFF
