"""The desk of a grid worker and of a town admin, on the demo zone, in Chromium: what waits for
each is there with its count and leads to its list; other levels' tiles are not."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login


def _count(item) -> int:
    return int(item.locator(".badge").inner_text().replace(",", ""))


@pytest.mark.browser
def test_the_desks_of_a_grid_worker_and_a_town_admin(zone, new_context):
    # The grid worker: two people to confirm at their station, their sweep tasks, and their
    # grid's ledgers — no tiles of towns, villages or grids.
    grid = new_context().new_page()
    login(grid, "grid")
    todos = grid.get_by_test_id("todos")
    pending = todos.get_by_test_id("todo-pending")
    expect(pending).to_contain_text("待确认报到")
    assert _count(pending) == 2
    tasks = todos.locator("[data-testid^=todo-tasks-]")
    expect(tasks).to_have_count(1)
    mine = _count(tasks)
    assert mine >= 1
    for absent in ("stat-towns", "stat-villages", "stat-grids"):
        expect(grid.get_by_test_id(absent)).to_have_count(0)
    expect(grid.get_by_test_id("stat-affiliated")).to_be_visible()
    # The check-in menu counts the people to confirm and the self-reports to confirm.
    reports = todos.get_by_test_id("todo-self_reported")
    expect(reports).to_contain_text("待确认的自报报到")
    expect(grid.get_by_test_id("badge-check")).to_have_text(str(2 + _count(reports)))
    with grid.expect_navigation():
        pending.click()
    expect(grid.get_by_test_id("pending-row")).to_have_count(2)
    grid.goto("/")
    with grid.expect_navigation():
        tasks.click()
    expect(grid.get_by_test_id("task-row")).to_have_count(mine)

    # The town admin: a transfer waiting for her approval, with a count on the menu; the
    # town's villages, not a tile of towns.
    town = new_context().new_page()
    login(town, "town")
    waiting = town.get_by_test_id("todo-transfers")
    expect(waiting).to_contain_text("待我审批")
    assert _count(waiting) == 1
    expect(town.get_by_test_id("badge-transfer")).to_have_text("1")
    expect(town.get_by_test_id("stat-towns")).to_have_count(0)
    expect(town.get_by_test_id("stat-villages")).to_be_visible()
    expect(town.locator("#chart-children canvas").first).to_be_attached()
    with town.expect_navigation():
        waiting.click()
    expect(town.get_by_test_id("transfer-row")).to_have_count(1)
    with town.expect_navigation():
        town.get_by_test_id("transfer-row").get_by_role("link").first.click()
    expect(town.locator("main")).to_contain_text("工作调动")
