"""Browsing the region tree from the district down to one grid, and back up."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from heli.orgs.models import Region
from heli.stations.models import Station, StationKind
from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def heading(page):
    return page.locator("main h1")


def crumbs(page) -> list[str]:
    return [text.strip() for text in page.locator(".breadcrumb li").all_inner_texts()]


def open_child(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id("children").get_by_role("link", name=name, exact=True).click()
    expect(heading(page)).to_contain_text(name)


def test_a_district_admin_walks_the_region_tree_down_to_a_grid_and_back(page, zone):
    login(page, "district")
    with page.expect_navigation():
        page.locator("#sidenav a[href='/regions/tree/']").click()
    # The district admin sees one root, so the tree opens at it.
    expect(heading(page)).to_contain_text("常州经开区")
    expect(page.locator("#sidenav a.active")).to_have_attribute("href", "/regions/tree/")
    expect(
        page.get_by_test_id("children").locator("tbody tr:not([data-testid=own-row])")
    ).to_have_count(6)

    open_child(page, "戚墅堰街道")
    assert crumbs(page) == ["常州经开区", "戚墅堰街道"]
    open_child(page, "东方社区")
    assert crumbs(page) == ["常州经开区", "戚墅堰街道", "东方社区"]
    open_child(page, "东方社区第1网格")
    assert crumbs(page) == ["常州经开区", "戚墅堰街道", "东方社区", "东方社区第1网格"]

    # One grid, one branch, one station: its 网格党群直通站 among the stations sited there.
    expect(page.get_by_test_id("grid-branch")).to_have_text("东方社区第1网格党支部")
    grid = Region.unscoped.get(name="东方社区第1网格")
    sited = Station.unscoped.filter(grid=grid)
    assert sited.filter(kind=StationKind.GRID_STATION).get().name == "东方社区第1网格党群直通站"
    shown = page.get_by_test_id("grid-stations").get_by_role("link").all_inner_texts()
    assert "东方社区第1网格党群直通站" in shown
    assert sorted(shown) == sorted(s.name for s in sited)

    # The breadcrumbs lead back up, one level at a time.
    for up, trail in (
        ("东方社区", ["常州经开区", "戚墅堰街道", "东方社区"]),
        ("戚墅堰街道", ["常州经开区", "戚墅堰街道"]),
        ("常州经开区", ["常州经开区"]),
    ):
        with page.expect_navigation():
            page.locator(".breadcrumb").get_by_role("link", name=up, exact=True).click()
        expect(heading(page)).to_contain_text(up)
        assert crumbs(page) == trail
