"""An English browser: Chinese pages until English is picked in the switch, then English,
also after logging out, closing the browser and logging in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def test_an_english_browser_gets_chinese_until_english_is_picked_and_then_keeps_it(
    new_context, zone
):
    browser = new_context(locale="en-US")
    page = browser.new_page()
    login(page, "grid")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("navigation")).to_contain_text("工作台")

    with page.expect_navigation():
        page.locator("header select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation")).to_contain_text("My desk")

    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    expect(page.locator("form button[type=submit]")).to_have_text("Log in")

    # Closing the browser ends the session (its cookie goes) but not the language cookie.
    kept = [c for c in browser.cookies() if c["expires"] > 0]
    fresh = new_context(locale="en-US")
    fresh.add_cookies(kept)
    page = fresh.new_page()
    page.goto("/login/")
    expect(page.locator("form button[type=submit]")).to_have_text("Log in")
    login(page, "grid")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation")).to_contain_text("My desk")
