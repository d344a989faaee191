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


def test_a_district_admin_finds_a_station_and_prints_its_qr_poster(
    page, zone, live_server, settings
):
    settings.PUBLIC_BASE_URL = ""  # the poster points at the address it was opened from
    station = Station.unscoped.get(name=STATION)
    expected = f"{live_server.url}/s/{station.token}/"
    page.add_init_script(PRINT_STUB)
    login(page, "district")

    page.goto("/stations/")
    page.get_by_role("searchbox").fill(STATION)
    with page.expect_navigation():
        page.get_by_test_id("list-submit").click()
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

    # The PDF is served inline (Chromium opens its viewer rather than downloading), so fetch
    # the link's target through the context's request API, with the same session cookie.
    href = page.get_by_test_id("poster-pdf").get_attribute("href")
    assert href == f"/stations/{station.pk}/poster.pdf"
    response = page.request.get(live_server.url + href)
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    pdf = pdf_pages(response.body())
    assert len(pdf) == 1
    width, height = pdf[0].get_size()  # points
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    assert decode_qr(pdf[0].render(scale=2).to_pil()) == [expected]


def test_a_phone_scans_the_poster_and_sees_the_station_without_logging_in(
    new_context, zone, live_server, settings
):
    settings.PUBLIC_BASE_URL = ""
    station = Station.unscoped.select_related("org").get(name=STATION)
    desk = new_context().new_page()
    login(desk, "district")
    desk.goto(f"/stations/{station.pk}/")
    [url] = decode_qr(desk.get_by_test_id("station-qr").screenshot())
    assert url == f"{live_server.url}/s/{station.token}/"

    phone = new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=3,
    ).new_page()
    response = phone.goto(url)
    assert response.status == 200
    assert phone.url == url  # no detour through the login page
    expect(phone.get_by_test_id("station-name")).to_have_text(STATION)
    services = phone.locator(".service-list li")
    assert station.service_list
    expect(services).to_have_text(station.service_list)
    expect(phone.locator("main")).to_contain_text(station.opening_hours)
    expect(phone.locator("main")).to_contain_text(station.org.name)
    # Nothing of the staff pages, and the page fits the phone's width.
    expect(phone.get_by_test_id("logout")).to_have_count(0)
    expect(phone.locator("#sidenav")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
