"""A station's QR poster: on screen, on paper (print and PDF), and on a visitor's phone."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect

from heli.stations.models import Station
from tests.browser.helpers import decode_qr, login

pytestmark = pytest.mark.browser

STATION = "东方社区第1网格党群直通站"

PRINT_STUB = """
window.__printCalls = 0;
window.print = function () { window.__printCalls += 1; };
"""


def pdf_pages(data: bytes) -> pdfium.PdfDocument:
    assert data.startswith(b"%PDF-"), data[:20]
    return pdfium.PdfDocument(data)


def test_a_district_admin_finds_a_station_and_prints_its_qr_poster(page, zone, live_server, settings):
    settings.PUBLIC_BASE_URL = ""  # the poster points at the address it was opened from
    station = Station.unscoped.get(name=STATION)
    expected = f"{live_server.url}/s/{station.token}/"
    page.add_init_script(PRINT_STUB)
    login(page, "district")

    page.goto("/stations/")
    page.get_by_role("searchbox").fill(STATION)
    with page.expect_navigation():
        page.locator("form.filters button").click()
    rows = page.get_by_test_id("station-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    with page.expect_navigation():
        rows.get_by_role("link", name=STATION, exact=True).click()
    expect(page.locator("main h1")).to_contain_text(STATION)
    expect(page.get_by_test_id("public-url")).to_have_text(expected)

    with page.expect_navigation():
        page.get_by_test_id("poster-link").click()
    assert page.url == f"{live_server.url}/stations/{station.pk}/poster/"
    poster = page.get_by_test_id("poster")
    expect(poster.locator("svg")).to_be_visible()
    expect(poster).to_contain_text(STATION)
    # An A4 sheet: 210 × 297 mm at 96 CSS pixels per inch.
    box = poster.bounding_box()
    assert abs(box["width"] - 210 / 25.4 * 96) < 2 and abs(box["height"] - 297 / 25.4 * 96) < 2
    assert decode_qr(poster.screenshot()) == [expected]

    page.get_by_test_id("print").click()
    assert page.evaluate("window.__printCalls") == 1
    assert len(pdf_pages(page.pdf(format="A4"))) == 1

    with page.expect_download() as download_info:
        page.get_by_test_id("poster-pdf").click()
    print(download_info.value)
