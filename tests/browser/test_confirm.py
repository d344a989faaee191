"""Destructive actions ask in a modal of the page, never through the browser's confirm()."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from heli.campaigns.models import Campaign, CampaignStatus
from heli.core.scoping import Scope, activate
from tests.browser.helpers import login


@pytest.mark.browser
def test_closing_a_campaign_asks_in_a_modal_where_cancel_keeps_it_open_and_confirm_closes_it(
    zone, context
):
    with activate(Scope.everything()):
        campaign = Campaign.objects.get(status=CampaignStatus.OPEN, region__parent=None)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "district")
    page.goto(f"/campaigns/{campaign.pk}/")
    page.locator("#confirm-unfinished").check()

    page.get_by_test_id("close-campaign").click()
    modal = page.get_by_test_id("confirm-modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("确定结束本次行动")
    # Once the modal has opened (Bootstrap ignores a dismissal while it fades in), the focus
    # rests on Cancel.
    expect(modal.get_by_test_id("confirm-cancel")).to_be_focused()
    modal.get_by_test_id("confirm-cancel").click()
    expect(modal).to_be_hidden()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.OPEN

    page.get_by_test_id("close-campaign").click()
    expect(modal).to_be_visible()
    with page.expect_navigation():
        modal.get_by_test_id("confirm-ok").click()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED
    assert dialogs == []  # the browser's own confirm() never opened


def test_no_template_or_script_asks_through_the_browsers_confirm():
    heli = Path(__file__).resolve().parents[2] / "heli"
    calls = [
        f"{path.relative_to(heli)}:{number}"
        for path in [*heli.rglob("*.html"), *heli.rglob("*.js")]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![\w.])confirm\(", line) and not line.lstrip().startswith(("*", "//"))
    ]
    assert calls == []


@pytest.mark.browser
def test_a_full_export_asks_in_the_same_modal_and_downloads_only_on_confirm(zone, context):
    page = context.new_page()
    login(page, "secretary")
    page.goto("/members/")
    page.get_by_test_id("export-full").click()
    modal = page.get_by_test_id("confirm-modal")
    expect(modal).to_contain_text("完整的公民身份号码")
    # Once the modal has opened (Bootstrap ignores a dismissal while it fades in), the focus
    # rests on Cancel.
    expect(modal.get_by_test_id("confirm-cancel")).to_be_focused()
    modal.get_by_test_id("confirm-cancel").click()
    expect(modal).to_be_hidden()
    page.get_by_test_id("export-full").click()
    with page.expect_download() as download:
        modal.get_by_test_id("confirm-ok").click()
    assert download.value.suggested_filename.endswith(".xlsx")
