"""The district administrator's first look at the zone."""

from __future__ import annotations

import pytest

from heli.core.scoping import Scope, activate
from heli.orgs.models import TOWN_LEVEL, VILLAGE_LEVEL, Region, RegionKind
from heli.stations.models import Station, StationKind
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

STATIC_ASSETS = (
    "/static/vendor/bootstrap/css/bootstrap.min.css",
    "/static/vendor/bootstrap/js/bootstrap.bundle.min.js",
    "/static/vendor/echarts/echarts.min.js",
    "/static/heli/heli.css",
    "/static/heli/charts.js",
)


def stat(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).locator(".num").inner_text().replace(",", ""))


def test_a_district_admin_logs_in_and_sees_the_zone_counts(page, zone, live_server):
    static = {}
    page.on(
        "response",
        lambda r: (
            static.__setitem__(r.url.removeprefix(live_server.url), r.status)
            if "/static/" in r.url
            else None
        ),
    )
    login(page, "district")
    assert page.url == live_server.url + "/"

    with activate(Scope.everything()):
        towns = Region.objects.filter(kind__in=TOWN_LEVEL).count()
        villages = Region.objects.filter(kind__in=VILLAGE_LEVEL).count()
        grids = Region.objects.filter(kind=RegionKind.GRID).count()
        per_kind = [Station.objects.filter(kind=kind).count() for kind in StationKind.values]
    assert (towns, villages, grids) == (6, 48, 337)
    assert per_kind == [337, 20, 10, 30, 1]

    assert stat(page, "stat-towns") == towns == 6
    assert stat(page, "stat-villages") == villages == 48
    assert stat(page, "stat-grids") == grids == 337
    assert stat(page, "stat-stations") == sum(per_kind) == 398
    shown = [
        int(cell.replace(",", ""))
        for cell in page.get_by_test_id("station-counts").locator("td.text-end").all_inner_texts()
    ]
    assert shown == per_kind == [337, 20, 10, 30, 1]

    # ECharts drew the charts: the library arrived from the live server and made canvases.
    page.locator("#chart-stations canvas").first.wait_for()
    assert page.locator("#chart-stations canvas").count() >= 1
    assert page.locator("#chart-children canvas").count() >= 1
    assert page.evaluate("typeof window.echarts") == "object"
    # Bootstrap's stylesheet applies (its .btn rule sets the cursor and the padding).
    assert page.get_by_test_id("logout").evaluate("e => getComputedStyle(e).cursor") == "pointer"

    for asset in STATIC_ASSETS:
        # 304: the browser revalidated a copy it fetched on the login page.
        assert static.get(asset) in (200, 304), (asset, static)
        assert page.request.get(live_server.url + asset).ok, asset
