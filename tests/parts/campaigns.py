"""URL-matrix rows and world objects of the campaigns pages.

`NAMES` lists the URL names; `rows()` builds their matrix rows (called by test_url_matrix once
Route and Target exist); `add_to_world(w)` adds the objects the rows point at to the world.

The world gets two open sweeps, opened through the service:
- `campaign_a` over town A (by its admin): tasks for `outflow_record_a` (`task_a`, grid A, where
  王强's family lives) and `inflow_record_a` (grid A); the grid worker of grid A's branch gets
  both, so the grid's roles see the town's sweep;
- `campaign_b` over town B (by its admin): `task_b` for `outflow_record_b` (grid B).
"""

from __future__ import annotations

import datetime as dt

NAMES: tuple[str, ...] = (
    "control:campaign_list",
    "control:campaign_create",
    "control:campaign_detail",
    "control:campaign_tasks",
    "control:campaign_task",
    "control:campaign_task_decide",
    "control:campaign_task_assign",
    "control:campaign_close",
    "control:campaign_report",
    "control:campaign_report_xlsx",
)


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import GRID_A, TOWN_A, TOWN_B, Route, Target

    campaigns = [Target("campaign_a", GRID_A), Target("campaign_b", TOWN_B)]
    tasks = [Target("task_a", GRID_A), Target("task_b", TOWN_B)]
    # Managing (closing a sweep, handing a task over) goes by the swept place, not by the
    # tasks one sees: the town's and district's admins.
    managed = [Target("campaign_a", TOWN_A), Target("campaign_b", TOWN_B)]
    managed_tasks = [Target("task_a", TOWN_A), Target("task_b", TOWN_B)]
    return {
        "control:campaign_list": Route(Right.VIEW, query="?status=open"),
        "control:campaign_create": Route(Right.OPEN_CAMPAIGNS),
        "control:campaign_detail": Route(Right.VIEW, campaigns),
        "control:campaign_tasks": Route(
            Right.VIEW, campaigns, query="?outcome=pending&mine=1&lost=1&q=王"
        ),
        "control:campaign_task": Route(Right.VIEW, tasks),
        # Without an outcome nothing is decided: the task page answers with the form's errors.
        "control:campaign_task_decide": Route(Right.EDIT_MEMBERS, tasks, method="post"),
        # Without an account nothing changes: a redirect back to the task.
        "control:campaign_task_assign": Route(
            Right.OPEN_CAMPAIGNS, managed_tasks, method="post", ok=302
        ),
        # Pending tasks and no confirmation: refused, a redirect back to the campaign.
        "control:campaign_close": Route(Right.OPEN_CAMPAIGNS, managed, method="post", ok=302),
        "control:campaign_report": Route(Right.VIEW, campaigns),
        "control:campaign_report_xlsx": Route(Right.VIEW, campaigns),
    }


def add_to_world(w) -> None:
    from django.utils import timezone

    from heli.audit.services import Actor
    from heli.campaigns.models import CampaignTask
    from heli.campaigns.services import open_campaign

    due = timezone.localdate() + dt.timedelta(days=28)
    w.campaign_a = open_campaign(
        Actor(user=w.users["town_admin"]), name="横林镇归队行动", region=w.town_a, due_on=due
    )
    w.campaign_b = open_campaign(
        Actor(user=w.users["outsider"]), name="遥观镇归队行动", region=w.town_b, due_on=due
    )
    w.task_a = CampaignTask.unscoped.get(campaign=w.campaign_a, record=w.outflow_record_a)
    w.task_b = CampaignTask.unscoped.get(campaign=w.campaign_b, record=w.outflow_record_b)
