"""Logging in and out: the lockout after wrong passwords, logout, and the UI language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from heli.audit.models import AuditEntry
from heli.demo.zone import DEMO_PASSWORD
from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    new_context, zone, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    page = new_context().new_page()
    for attempt in range(1, 5):
        login(page, "liaison", f"wrong-{attempt}")
        expect(page.get_by_test_id("login-error")).to_be_visible()
        expect(page.get_by_test_id("locked")).to_have_count(0)
    login(page, "liaison", "wrong-5")  # the fifth failure locks the account

    response = login(page, "liaison", DEMO_PASSWORD)
    assert response.status == 429
    expect(page.get_by_test_id("locked")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    assert "sessionid" not in {cookie["name"] for cookie in page.context.cookies()}

    # The auditor finds the failed logins in the audit log.
    failed = AuditEntry.unscoped.filter(action="login.failed", username="liaison")
    assert failed.count() >= 5
    auditor = new_context().new_page()
    login(auditor, "auditor")
    with auditor.expect_navigation():
        auditor.locator("#sidenav a[href='/audit/']").click()
    auditor.locator("select[name=action]").select_option("login.failed")
    auditor.locator("input[name=user]").fill("liaison")
    with auditor.expect_navigation():
        auditor.get_by_test_id("list-submit").click()
    rows = auditor.get_by_test_id("audit-table").locator("tbody tr")
    expect(rows).to_have_count(failed.count())
    for row in rows.all():
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("liaison")
        expect(row.locator(".badge.text-bg-danger")).to_be_visible()


def test_logging_out_ends_the_session(page, zone, live_server):
    login(page, "secretary")
    assert page.url == live_server.url + "/"
    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    expect(page.locator("#id_username")).to_be_visible()

    page.goto("/")
    assert page.url == f"{live_server.url}/login/?next=/"
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)


def test_switching_the_language_to_english_and_back_changes_the_ui_language(page, zone):
    login(page, "grid")
    html = page.locator("html")
    logout = page.get_by_test_id("logout")
    expect(html).to_have_attribute("lang", "zh-hans")
    chinese = logout.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese  # the catalogue is compiled
    language = page.locator("header select[name=language]")

    with page.expect_navigation():
        language.select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(logout).to_have_text("Log out")
    page.reload()  # the choice sticks
    expect(html).to_have_attribute("lang", "en")

    with page.expect_navigation():
        language.select_option("zh-hans")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(language).to_have_value("zh-hans")
    expect(logout).to_have_text(chinese)


def test_a_password_set_by_an_admin_is_changed_before_anything_else(page, zone):
    """The demo's accounts are not marked; a password the system administrator sets is."""
    from heli.accounts import services
    from heli.accounts.models import User
    from heli.audit.services import Actor

    admin = User.objects.get(username="sysadmin")
    services.set_password(Actor(user=admin), User.objects.get(username="grid"), "Admin#Set2027")
    login(page, "grid", "Admin#Set2027")
    expect(page).to_have_url(re.compile(r"/password/$"))
    expect(page.locator("main")).to_contain_text("您的密码由管理员设置")
    page.goto("/members/")
    expect(page).to_have_url(re.compile(r"/password/$"))  # every page leads here
    page.locator("#id_old_password").fill("Admin#Set2027")
    page.locator("#id_new_password").fill("Own#Choice2027")
    page.locator("#id_repeat_password").fill("Own#Choice2027")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto("/members/")
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.get_by_test_id("logout")).to_be_visible()  # still logged in
