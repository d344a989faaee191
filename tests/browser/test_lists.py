"""Lists in Chromium on the demo zone: a town admin filters and sorts the member roll and
exports exactly that (checked in the workbook with openpyxl), then hands sweep tasks to a
worker in one batch."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from heli.accounts.models import User
from heli.campaigns.models import CampaignTask
from heli.core.scoping import activate
from heli.members.models import Member
from tests.browser.helpers import login


@pytest.mark.browser
def test_a_town_admin_exports_the_filtered_sorted_roll(zone, page):
    login(page, "town")
    page.goto("/members/")
    page.get_by_test_id("filter-education").select_option("master")
    page.get_by_test_id("filter-gender").select_option("F")
    with page.expect_navigation():
        page.get_by_test_id("list-submit").click()
    assert "education=master" in page.url and "gender=F" in page.url
    header = page.get_by_test_id("member-table").locator("th[data-column=joined_on] a")
    with page.expect_navigation():
        header.click()  # oldest first
    with page.expect_navigation():
        page.get_by_test_id("member-table").locator("th[data-column=joined_on] a").click()
    assert "sort=-joined_on" in page.url
    shown = page.get_by_test_id("member-table").locator("tbody tr td:first-child").all_inner_texts()

    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    name = download.value.suggested_filename
    assert name == f"横林镇党委_党员名册_{timezone.localdate().isoformat()}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.active
    assert sheet["A1"].value == "党员名册"
    assert sheet["A2"].value == "单位：横林镇党委"
    assert "学历：硕士研究生" in sheet["A3"].value and "性别：女" in sheet["A3"].value
    assert "按入党日期倒序" in sheet["A3"].value
    assert timezone.localdate().isoformat() in sheet["A4"].value
    assert [c.value for c in sheet[6]][:2] == ["姓名", "性别"]
    names = [row[0].value for row in sheet.iter_rows(min_row=7)]
    assert names[: len(shown)] == [n.strip() for n in shown]
    with activate(User.objects.get(username="town").scope()):
        expected = Member.objects.filter(
            education="master", gender="F", status__in=("normal", "floating")
        ).count()
    assert len(names) == expected
    assert sheet.print_title_rows == "$6:$6" and sheet.page_setup.orientation == "landscape"
    header = [c.value for c in sheet[6]]
    org = openpyxl.utils.get_column_letter(header.index("组织关系所在党组织") + 1)
    # The organization's long names get a wider column than the gender's single character.
    assert sheet.column_dimensions[org].width > sheet.column_dimensions["B"].width + 10


@pytest.mark.browser
def test_a_town_admin_hands_three_sweep_tasks_to_a_worker_at_once(zone, page):
    login(page, "town")
    page.goto("/")
    with page.expect_navigation():
        page.locator("[data-testid^=todo-unassigned-]").click()
    rows = page.get_by_test_id("task-row")
    expect(rows.first).to_be_visible()
    picked = [rows.nth(i).locator("input[name=pick]") for i in range(3)]
    for box in picked:
        box.check()
    expect(page.locator("[data-batch-count]")).to_contain_text("3")
    ids = [int(box.get_attribute("value")) for box in picked]
    page.get_by_test_id("batch-campaign_task_batch_assign").click()
    modal = page.get_by_test_id("batch-modal")
    expect(modal.locator("[data-batch-message]")).to_contain_text("3")
    with activate(User.objects.get(username="town").scope()):
        tasks = list(CampaignTask.objects.filter(pk__in=ids).select_related("grid"))
        worker = _a_worker_for(tasks)
    modal.get_by_test_id("batch-assignee").select_option(str(worker.pk))
    with page.expect_navigation():
        modal.get_by_test_id("batch-confirm").click()
    expect(page.locator(".alert-success")).to_contain_text("3")
    assigned = CampaignTask.unscoped.filter(pk__in=ids).values_list("assignee", flat=True)
    assert set(assigned) == {worker.pk}


def _a_worker_for(tasks) -> User:
    """An account of the town admin's subtree that may work all the tasks (the modal offers
    the accounts the admin manages)."""
    from heli.campaigns.services import assignable_users

    allowed = [set(assignable_users(t).values_list("pk", flat=True)) for t in tasks]
    common = set.intersection(*allowed)
    return User.in_scope.filter(pk__in=common).order_by("username").first()
