"""The desk (工作台): what waits for each user, counted in their scope and leading to lists that
show exactly those rows; tiles and charts of their own level; counts on the menu."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from heli.audit.services import Actor
from heli.letters import services as letters
from heli.letters.models import ReminderLetter
from heli.mobility.models import FloatingRecord
from tests.factories import MemberFactory, PartyOrgFactory

pytestmark = pytest.mark.django_db
DESK = "/"


def _todos(client) -> dict:
    return {item.key: item for item in client.get(DESK).context["todos"]}


def _each_leads_to_its_rows(client, todos: dict) -> None:
    """Each item leads to a list holding exactly what it counts (an upload to its job)."""
    for item in todos.values():
        if item.key.startswith("import-"):
            job = client.get(item.url).context["job"]
            assert item.count == (1 if job.status == "needs_setup" else job.total_rows)
            continue
        listed = client.get(item.url).context["page"].paginator.count
        assert listed == item.count, item.key


def _overdue_letter(world):
    sent_on = timezone.localdate() - dt.timedelta(days=40)
    ReminderLetter.unscoped.filter(pk=world.letter_a.pk).update(issued_on=sent_on)
    world.letter_a.refresh_from_db()
    letter = letters.mark_sent(Actor(user=world.users["grid_worker"]), world.letter_a, sent_on)
    assert letter.is_overdue(timezone.localdate())
    return letter


def test_a_grid_workers_desk_lists_check_ins_tasks_and_an_overdue_letter(world, client):
    _overdue_letter(world)
    client.force_login(world.users["grid_worker"])
    todos = _todos(client)
    assert todos["pending"].count == 1  # 陌生人甲 at their grid's station, not 陌生人乙
    mine = todos[f"tasks-{world.campaign_a.pk}"]
    assert mine.count == 2 and "mine=1" in mine.url  # 王强 and 潘永贤 of their grid
    assert todos["letters_overdue"].count == 1
    assert not any(key.startswith("unassigned") for key in todos)  # they hand out no tasks
    assert "transfers" not in todos  # no right to approve
    _each_leads_to_its_rows(client, todos)


def test_a_town_admin_sees_transfers_waiting_for_them_and_unassigned_tasks(world, client):
    world.task_a.assignee = None
    world.task_a.save()
    client.force_login(world.users["town_admin"])
    todos = _todos(client)
    # 张伟's transfer to an organization outside the zone waits for the town to record its
    # acceptance; the other town's transfer does not count here.
    assert todos["transfers"].count == 1
    assert todos[f"unassigned-{world.campaign_a.pk}"].count == 1
    _each_leads_to_its_rows(client, todos)
    client.force_login(world.users["grid_worker"])
    assert "transfers" not in _todos(client)


def test_tiles_follow_the_users_level(world, client):
    client.force_login(world.users["district_admin"])
    html = client.get(DESK).content.decode()
    assert 'data-testid="stat-towns"' in html and 'data-testid="stat-villages"' in html
    client.force_login(world.users["town_admin"])
    html = client.get(DESK).content.decode()
    assert 'data-testid="stat-towns"' not in html and 'data-testid="stat-villages"' in html
    client.force_login(world.users["grid_worker"])
    response = client.get(DESK)
    html = response.content.decode()
    assert 'data-testid="stat-towns"' not in html and 'data-testid="stat-grids"' not in html
    assert 'data-testid="stat-affiliated"' in html
    assert response.context["ledger_counts"].affiliated >= 1


def test_per_area_rows_add_up_to_the_totals(world, client):
    client.force_login(world.users["district_admin"])
    context = client.get(DESK).context
    rows, levels = context["children"], context["levels"]
    for key in ("grids", "branches", "stations"):
        assert sum(row[key] for row in rows) == levels[key], key
    assert [row["name"] for row in rows][:2] == ["横林镇", "遥观镇"]


def test_charts_leave_out_zero_slices(world, client):
    client.force_login(world.users["grid_worker"])
    chart = client.get(DESK).context["chart"]
    assert chart["states"] and all(slice_["value"] > 0 for slice_ in chart["states"])


def test_the_menu_carries_the_counts_and_counts_again_after_a_change(world, client):
    client.force_login(world.users["grid_worker"])
    html = client.get(reverse("control:member_list")).content.decode()
    assert re.search(r'data-testid="badge-check"[^>]*>1<', html)
    client.post(
        reverse("control:pending_batch_reject"), {"pick": [world.pending_a.pk], "reason": "误报"}
    )
    html = client.get(reverse("control:member_list")).content.decode()
    assert 'data-testid="badge-check"' not in html


def test_the_branch_tile_counts_what_its_list_shows(world, client):
    client.force_login(world.users["district_admin"])
    tile = client.get(DESK).context["levels"]["branches"]
    listed = client.get(reverse("control:org_list"), {"level": "branch"})
    assert listed.context["page"].paginator.count == tile  # the outside directory left out


def test_the_lost_list_of_a_grid_worker_shows_no_trail_above_their_grid(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:floating_lost")
    response = client.get(url, {"region": world.town_a.pk})  # a place above their grid
    assert response.status_code == 200 and response.context["place"] == world.grid_a
    assert response.context["crumbs"] == []
    client.force_login(world.users["town_admin"])
    crumbs = client.get(url, {"region": world.grid_a.pk}).context["crumbs"]
    assert [c.name for c in crumbs] == ["横林镇", "崔桥村"]


def test_the_lost_tile_counts_what_the_lost_list_shows(world, client):
    MemberFactory(name="外居者", org=world.branch_a, status="floating", floating_direction="out")
    record = FloatingRecord.unscoped.get(member=world.outflow_a)
    # An outflow member of the town's branch whose family lives in another town's grid.
    FloatingRecord.unscoped.filter(pk=record.pk).update(grid=world.grid_b)
    for role in ("district_admin", "town_admin", "grid_worker"):
        client.force_login(world.users[role])
        tile = client.get(DESK).context["work"].lost
        listed = client.get(reverse("control:floating_lost")).context["page"].paginator.count
        assert listed == tile, role


def test_the_region_page_adds_up_to_the_desks_branch_count(world, client):
    PartyOrgFactory(name="区直属流动党员党支部", region=world.district, parent=world.root_org)
    client.force_login(world.users["district_admin"])
    tile = client.get(DESK).context["levels"]["branches"]
    page = client.get(reverse("control:region_detail", args=[world.district.pk]))
    assert page.context["totals"]["branches"] == tile
    assert page.context["own"]["branches"] == 1  # the district's own branch has its own row
