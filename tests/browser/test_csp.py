"""The Content-Security-Policy in a real browser: what it forbids is refused and reported (and
every browser test fails on such a report, tests/browser/conftest.py), while heli's own pages,
charts and their tooltips run under it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from heli.campaigns.models import Campaign
from heli.orgs.models import Region
from tests.browser.helpers import login

pytestmark = pytest.mark.browser

INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.ranInline = true";
  document.head.appendChild(script);
  document.body.insertAdjacentHTML("beforeend", '<div id="probe" style="width: 123px"></div>');
}"""


def test_the_browser_refuses_inline_script_and_style_and_the_tests_hear_of_it(
    page, zone, csp_violations
):
    login(page, "grid")
    page.evaluate(INLINE_SCRIPT)
    expect(page.locator("#probe")).to_have_count(1)
    page.wait_for_timeout(300)  # the console reports arrive asynchronously
    assert page.evaluate("() => window.ranInline") is None
    assert page.evaluate("() => getComputedStyle(document.getElementById('probe')).width") != (
        "123px"
    )
    assert any("script-src" in v for v in csp_violations), csp_violations
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # heard: this test's own probes must not fail it


# Every chart of the page shows the tooltip of its first item, as a hover would.
SHOW_TOOLTIPS = """() => Array.from(document.querySelectorAll(".chart")).map((el) => {
  const chart = window.echarts.getInstanceByDom(el);
  if (chart) { chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 }); }
  return Boolean(chart);
})"""


def show_tooltips(page, at_least: int) -> None:
    expect(page.locator(".chart canvas").first).to_be_visible()
    page.wait_for_timeout(300)  # every chart of the page drawn
    assert sum(page.evaluate(SHOW_TOOLTIPS)) >= at_least
    page.wait_for_timeout(500)  # the tooltips are drawn, and any refusal reported


def test_charts_maps_and_their_tooltips_run_under_the_policy(page, zone):
    login(page, "district")
    show_tooltips(page, 3)  # the desk's charts
    community = Region.unscoped.get(name="东方社区")  # a map of its grids
    page.goto(f"/regions/{community.pk}/")
    show_tooltips(page, 1)
    page.goto(f"/campaigns/{Campaign.unscoped.order_by('pk').first().pk}/")
    show_tooltips(page, 1)
    page.goto("/floating/lost/")
    show_tooltips(page, 1)
