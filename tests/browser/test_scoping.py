"""A town administrator sees their own town and nothing of the others."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from heli.core.tree import subtree_q
from heli.orgs.models import Region
from heli.stations.models import Station
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

DETAIL = re.compile(r"^/stations/(\d+)/$")


def listed_station_ids(page) -> list[int]:
    """Every station of the list, following its pages."""
    ids = []
    while True:
        hrefs = (
            page.get_by_test_id("station-table")
            .locator("tbody tr td a[href^='/stations/']")
            .evaluate_all("links => links.map(a => a.getAttribute('href'))")
        )
        ids += [int(DETAIL.match(href).group(1)) for href in hrefs]
        following = page.locator(".pagination a[rel=next]")
        if not following.count():
            return ids
        with page.expect_navigation():
            following.click()


def test_the_town_admin_of_henglin_sees_only_henglin(page, zone, live_server, settings):
    settings.HELI_PAGE_SIZE = 25  # the list then runs over several pages, all of them checked
    town = Region.unscoped.get(name="横林镇")
    own = set(
        Station.unscoped.filter(subtree_q("grid__path", town.path)).values_list("pk", flat=True)
    )
    elsewhere = Station.unscoped.exclude(subtree_q("grid__path", town.path))
    assert len(own) > 2 * settings.HELI_PAGE_SIZE and elsewhere.exists()

    login(page, "town")
    with page.expect_navigation():
        page.locator("#sidenav a[href='/regions/tree/']").click()
    assert page.url == f"{live_server.url}/regions/{town.pk}/"
    expect(page.locator("main h1")).to_contain_text("横林镇")
    # Nothing above the town: no breadcrumb leads to the district.
    expect(page.locator(".breadcrumb a")).to_have_count(0)
    expect(
        page.get_by_test_id("children").locator("tbody tr:not([data-testid=own-row])")
    ).to_have_count(Region.unscoped.filter(parent=town).count())

    page.goto("/stations/")
    # The area picker starts at their town, the only root they have.
    picker = page.get_by_test_id("filter-region")
    picker.locator(".tree-picker-toggle").click()
    roots = picker.locator(".tree-picker-list > li > .tree-picker-row .tree-picker-choose")
    expect(roots).to_have_text(["横林镇"])
    picker.locator(".tree-picker-toggle").click()
    shown = listed_station_ids(page)
    assert len(shown) == len(set(shown))
    assert set(shown) == own
    assert not set(shown) & set(elsewhere.values_list("pk", flat=True))

    # Another town's station, asked for by its address, does not exist for them.
    other = Station.unscoped.get(name="东方社区第1网格党群直通站")
    for url in (
        f"/stations/{other.pk}/",
        f"/stations/{other.pk}/poster/",
        f"/stations/{other.pk}/poster.pdf",
    ):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.locator(".empty-state h1")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(other.name)
