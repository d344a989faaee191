"""A relationship transfer in the browser, from the application to the acceptance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.members.models import Member
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg
from heli.transfers.models import OPEN_STATUSES, Transfer
from tests.browser.helpers import confirm_in_modal, login, pick

pytestmark = pytest.mark.browser

SENDING = "东方社区第1网格党支部"  # the demo secretary's branch
RECEIVING_TOWN = "横林镇党委"  # the demo town admin's committee


def test_a_transfer_from_application_to_acceptance(zone, new_context):
    with activate(Scope.everything()):
        busy = Transfer.unscoped.filter(status__in=OPEN_STATUSES).values("member")
        member = (
            Member.objects.filter(org__name=SENDING, status="normal")
            .exclude(pk__in=busy)
            .order_by("pk")
            .first()
        )
        town = PartyOrg.objects.get(name=RECEIVING_TOWN)
        receiving = (
            PartyOrg.objects.filter(
                path__startswith=town.path, level=OrgLevel.BRANCH, category=OrgCategory.REGIONAL
            )
            .order_by("path")
            .first()
        )

    secretary = new_context().new_page()
    login(secretary, "secretary")
    secretary.goto(f"/members/{member.pk}/")
    with secretary.expect_navigation():
        secretary.get_by_test_id("apply-transfer").click()
    pick(secretary, "id_to_org", receiving.name)
    secretary.locator("#id_reason").fill("工作调动，迁居横林镇")
    with secretary.expect_navigation():
        secretary.get_by_test_id("submit").click()
    status = secretary.get_by_test_id("transfer-status")
    expect(status).to_have_attribute("data-status", "applied")
    detail_url = secretary.url

    # Every step asks in the page's confirmation modal.
    confirm_in_modal(secretary, secretary.get_by_test_id("action-approve").get_by_role("button"))
    expect(status).to_have_attribute("data-status", "approved")
    confirm_in_modal(secretary, secretary.get_by_test_id("action-issue").get_by_role("button"))
    expect(status).to_have_attribute("data-status", "in_transit")
    transfer = Transfer.unscoped.get(member=member, status="in_transit")
    day = transfer.valid_until
    assert (day - transfer.issued_on).days == 30  # within the city
    with secretary.expect_navigation():
        secretary.get_by_test_id("letter-link").click()
    expect(secretary.get_by_test_id("letter-serial")).to_have_text(transfer.serial)
    expect(secretary.get_by_test_id("letter-validity")).to_contain_text(
        f"{day.year}年{day.month}月{day.day}日"
    )
    # The issuing branch's secretary prints it with the full ID number (an audited reveal).
    expect(secretary.get_by_test_id("letter-body")).to_contain_text(unseal(member, "id_cipher"))
    expect(secretary.get_by_test_id("print")).to_be_visible()
    # The sending side cannot accept for a receiver inside the zone.
    secretary.goto(detail_url)
    expect(secretary.get_by_test_id("action-accept")).to_have_count(0)

    receiver = new_context().new_page()
    login(receiver, "town")
    receiver.goto("/transfers/?direction=in&status=in_transit")
    with receiver.expect_navigation():
        receiver.get_by_test_id("transfer-table").get_by_role("link", name=member.name).click()
    confirm_in_modal(receiver, receiver.get_by_test_id("action-accept").get_by_role("button"))
    expect(receiver.get_by_test_id("transfer-status")).to_have_attribute("data-status", "accepted")
    expect(receiver.get_by_test_id("receipt")).to_contain_text(transfer.serial)
    actions = (
        receiver.get_by_test_id("timeline")
        .locator("li")
        .evaluate_all("items => items.map(item => item.dataset.action)")
    )
    assert actions == ["apply", "approve", "issue", "accept"]

    with receiver.expect_navigation():
        receiver.get_by_test_id("member-link").click()
    expect(receiver.locator("main")).to_contain_text(receiving.name)
    expect(receiver.get_by_test_id("member-transfers")).to_contain_text(receiving.name)
    member.refresh_from_db()
    assert member.org_id == receiving.pk


def _line_boxes(cell) -> int:
    """How many lines the text of a table cell takes on screen."""
    return cell.evaluate(
        "cell => { const range = document.createRange(); range.selectNodeContents(cell);"
        " return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"
    )


def test_dates_in_the_transfers_table_stay_on_one_line_on_a_1440_screen(zone, new_context):
    page = new_context(viewport={"width": 1440, "height": 900}).new_page()
    login(page, "district")
    page.goto("/transfers/")
    rows = page.get_by_test_id("transfer-table").locator("tbody tr")
    assert rows.count() > 5
    for row in rows.all()[:10]:
        dates = [
            cell
            for cell in row.locator("td").all()
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell.inner_text().strip())
        ]
        assert dates  # the application day at least; the validity once issued
        for cell in dates:
            assert _line_boxes(cell) == 1, cell.inner_text()
