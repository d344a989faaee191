"""归队行动 in the browser: a sweep from its opening to its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db.models import Count

from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.audit.services import Actor
from heli.campaigns.models import Campaign, CampaignStatus, CampaignTask, Outcome
from heli.campaigns.services import close, plan
from heli.core.scoping import Scope, activate
from heli.demo.zone import DEMO_PASSWORD
from heli.orgs.models import PartyOrg, Region
from tests import sheets
from tests.browser.helpers import login

TOWN = "横林镇"  # the demo's town admin ("town") governs it


def _worker_of_the_busiest_grid(town: Region) -> tuple[User, int]:
    """A grid worker for the town's grid with the most floating members, and that number."""
    sweep = plan(town)
    counts: dict[int, int] = {}
    for _record, grid in sweep.pairs:
        counts[grid.pk] = counts.get(grid.pk, 0) + 1
    grid_id = max(counts, key=lambda pk: (counts[pk], -pk))
    branch = PartyOrg.objects.get(region_id=grid_id, level="branch", category="regional")
    worker = User.objects.create(
        username="hl_grid", last_name="钱", role=Role.GRID_WORKER, org=branch,
        password=make_password(DEMO_PASSWORD),
    )  # fmt: skip
    return worker, counts[grid_id]


@pytest.mark.browser
def test_a_sweep_from_opening_to_its_report(zone, new_context):
    with activate(Scope.everything()):
        # The demo's district sweep covers the town: it is closed first (overlapping sweeps
        # are refused).
        district_sweep = Campaign.objects.get(status=CampaignStatus.OPEN, region__parent=None)
        close(Actor(user=district_sweep.opened_by), district_sweep, unfinished_confirmed=True)
        town = Region.objects.get(name=TOWN)
        expected = plan(town).total
        worker, in_grid = _worker_of_the_busiest_grid(town)
    assert in_grid >= 2

    # The town admin opens a sweep over the town and sees how many tasks it makes.
    admin = new_context().new_page()
    login(admin, "town")
    admin.goto("/campaigns/")
    admin.get_by_test_id("open-campaign").click()
    admin.locator("#id_name").fill("横林镇归队行动（第二轮）")
    admin.locator("#id_region").select_option(label=TOWN)
    admin.get_by_test_id("preview").click()
    assert admin.get_by_test_id("task-count").inner_text() == str(expected)
    admin.get_by_test_id("confirm-open").click()
    assert admin.get_by_test_id("stat-progress").inner_text().startswith(f"0 / {expected}")
    campaign_url = admin.url
    with activate(Scope.everything()):
        campaign = Campaign.objects.get(name="横林镇归队行动（第二轮）")

    # The grid worker finds their tasks and records two outcomes.
    field = new_context().new_page()
    login(field, worker.username)
    field.goto("/campaigns/")
    field.get_by_role("link", name="横林镇归队行动（第二轮）").click()
    field.get_by_test_id("tasks-link").click()
    rows = field.get_by_test_id("task-row")
    assert rows.count() == in_grid
    rows.first.get_by_role("link").first.click()
    field.locator("input[name=outcome][value=located]").check()
    field.locator("#id_new_address").fill("上海市浦东新区张江路88号")
    field.locator("#id_new_phone").fill("13912345678")
    with field.expect_navigation():
        field.get_by_test_id("decide").click()
    field.locator("input[name=outcome][value=unreachable]").check()  # the next task opened
    field.locator("#id_note").fill("三次上门无人，邻居称已外出务工")
    with field.expect_navigation():
        field.get_by_test_id("decide").click()
    with activate(Scope.everything()):
        decided = (
            CampaignTask.objects.filter(campaign=campaign)
            .exclude(outcome=Outcome.PENDING)
            .values("outcome")
            .annotate(n=Count("pk"))
        )
        assert {row["outcome"]: row["n"] for row in decided} == {"located": 1, "unreachable": 1}
        located = CampaignTask.objects.get(campaign=campaign, outcome=Outcome.LOCATED)
        assert located.record.address == "上海市浦东新区张江路88号"
        assert located.new_phone_mask == "139****5678"

    # The town admin sees the sweep move, opens the report and downloads it.
    admin.goto(campaign_url)
    assert admin.get_by_test_id("stat-progress").inner_text().startswith(f"2 / {expected}")
    admin.get_by_test_id("report-link").click()
    assert admin.get_by_test_id("total").inner_text() == str(expected)
    assert admin.get_by_test_id("total-located").inner_text() == "1"
    assert admin.get_by_test_id("total-unreachable").inner_text() == "1"
    assert admin.get_by_test_id("total-pending").inner_text() == str(expected - 2)
    assert "三次上门无人" in admin.get_by_test_id("report-unreachable").inner_text()
    with admin.expect_download() as download:
        admin.get_by_test_id("report-xlsx").click()
    table = sheets.read(Path(download.value.path()).read_bytes())
    assert len(table.rows) == expected
    assert sum(1 for row in table.rows if row[8] == "上海市浦东新区张江路88号") == 1
