"""归队行动: opening a sweep, the tasks it makes, their outcomes and refused transitions, the
campaign's closing, scoping of campaigns and tasks, figures, the report and its spreadsheet.

The world (tests/parts/campaigns.py) already holds an open sweep of town A (tasks for 王强 and
潘永贤, grid A) and one of town B (周杰, grid B)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.campaigns import services
from heli.campaigns.models import (
    DECIDED,
    Campaign,
    CampaignStatus,
    CampaignTask,
    Outcome,
    TaskEvent,
)
from heli.core.models import AppendOnlyError
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.members.models import Member
from heli.mobility import clock
from heli.mobility.models import Document, FloatingRecord, RecordStatus
from heli.reports import campaigns as stats
from tests import sheets
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCATED = {"new_address": "上海市浦东新区张江路88号", "new_phone": "139 1234 5678", "note": "找到"}
NOTES = {"note": "介绍信编号 常经开组转〔2026〕012号"}


def _actor(w, role="grid_worker"):
    return Actor(user=w.users[role])


def _fresh(obj):
    return type(obj).unscoped.get(pk=obj.pk)


def _task(w, campaign, record):
    return CampaignTask.unscoped.get(campaign=campaign, record=record)


def _data(outcome):
    if outcome == Outcome.LOCATED:
        return dict(LOCATED)
    if outcome == Outcome.RETURNED:
        return {"returned_on": timezone.localdate()}
    return dict(NOTES)


def _district_sweep(w):
    """The district's sweep, once the world's town sweeps are closed (no overlapping sweeps)."""
    for campaign in (w.campaign_a, w.campaign_b):
        if _fresh(campaign).status == CampaignStatus.OPEN:
            services.close(_actor(w, "district_admin"), campaign, unfinished_confirmed=True)
    return services.open_campaign(
        _actor(w, "district_admin"),
        name="全区归队行动",
        region=w.district,
        due_on=timezone.localdate() + dt.timedelta(days=30),
    )


def _floating_in_grid_a2(w, **record):
    member = MemberFactory(name="孙丽", org=w.branch_a2, residence_grid=w.grid_a2)
    return FloatingRecord.unscoped.create(
        member=member, direction="out", outflow_org=w.branch_a2, place="浙江省杭州市",
        since=timezone.localdate() - dt.timedelta(days=30), flow_range="other_province",
        reason="work", document=Document.ACTIVITY_CARD, **record,
    )  # fmt: skip


# Opening ------------------------------------------------------------------------------------


def test_a_town_sweep_holds_one_task_per_floating_record_of_the_town_and_none_of_another(world):
    town_a = CampaignTask.unscoped.filter(campaign=world.campaign_a)
    town_b = CampaignTask.unscoped.filter(campaign=world.campaign_b)
    assert set(town_a.values_list("record", flat=True)) == {
        world.outflow_record_a.pk,
        world.inflow_record_a.pk,
    }
    assert set(town_b.values_list("record", flat=True)) == {world.outflow_record_b.pk}
    assert set(town_a.values_list("grid", flat=True)) == {world.grid_a.pk}
    opened = AuditEntry.unscoped.filter(
        action="campaign.open", object_id__in=[str(world.campaign_a.pk), str(world.campaign_b.pk)]
    )
    assert opened.count() == 2


def test_a_district_sweep_covers_every_town_and_skips_ended_records(world):
    ended = _floating_in_grid_a2(world, status=RecordStatus.RETURNED)
    campaign = _district_sweep(world)
    records = set(CampaignTask.unscoped.filter(campaign=campaign).values_list("record", flat=True))
    assert records == {
        world.outflow_record_a.pk,
        world.inflow_record_a.pk,
        world.outflow_record_b.pk,
    }
    assert ended.pk not in records


def test_an_outflow_member_without_residence_grid_is_looked_for_in_the_branchs_grid(world):
    member = MemberFactory(name="吴刚", org=world.branch_a2, residence_grid=None)
    record = FloatingRecord.unscoped.create(
        member=member, direction="out", outflow_org=world.branch_a2, place="北京市朝阳区",
        since=timezone.localdate(), flow_range="other_province", reason="work",
        document=Document.ACTIVITY_CARD,
    )  # fmt: skip
    campaign = _district_sweep(world)
    assert _task(world, campaign, record).grid == world.grid_a2


def test_the_task_remembers_who_had_lost_contact_when_the_sweep_opened(world):
    # 王强 has not been heard from for 120 days; 潘永贤 arrived 10 days ago.
    assert _task(world, world.campaign_a, world.outflow_record_a).was_lost
    assert not _task(world, world.campaign_a, world.inflow_record_a).was_lost


def test_tasks_go_to_the_first_grid_worker_of_the_grids_branch_and_else_to_nobody(world):
    UserFactory(username="a_first_worker", role="grid_worker", org=world.branch_a)
    UserFactory(username="a_secretary", role="branch_secretary", org=world.branch_a)
    record_a2 = _floating_in_grid_a2(world)
    campaign = _district_sweep(world)
    assert _task(world, campaign, world.outflow_record_a).assignee.username == "a_first_worker"
    assert _task(world, campaign, world.outflow_record_b).assignee is None  # no worker in B
    assert _task(world, campaign, record_a2).assignee is None
    assert _task(world, world.campaign_a, world.outflow_record_a).assignee.username == "worker_a"


def test_opening_the_same_area_twice_is_refused(world):
    with pytest.raises(ValidationError):
        services.open_campaign(
            _actor(world, "town_admin"), name="again", region=world.town_a,
            due_on=timezone.localdate(),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "area"),
    [("town_admin", "town_b"), ("town_admin", "district"), ("district_admin", "village_a")],
)
def test_a_sweep_outside_ones_area_or_below_a_town_is_refused(world, role, area):
    with pytest.raises(ValidationError):
        services.open_campaign(
            _actor(world, role), name="x", region=getattr(world, area),
            due_on=timezone.localdate(),
        )  # fmt: skip


def test_a_sweep_with_a_past_due_date_is_refused(world):
    Campaign.unscoped.filter(pk=world.campaign_a.pk).update(status=CampaignStatus.CLOSED)
    with pytest.raises(ValidationError):
        services.open_campaign(
            _actor(world, "town_admin"), name="x", region=world.town_a,
            due_on=timezone.localdate() - dt.timedelta(days=1),
        )  # fmt: skip


# Outcomes -----------------------------------------------------------------------------------


def test_located_restarts_the_clock_and_moves_the_address_and_keeps_the_phone_encrypted(world):
    task = world.task_a
    assert clock.state_of(world.outflow_record_a) != clock.ContactState.OK
    services.decide(_actor(world), task, Outcome.LOCATED, LOCATED)
    task, record = _fresh(task), _fresh(world.outflow_record_a)
    assert task.outcome == Outcome.LOCATED and task.done_by == world.users["grid_worker"]
    assert record.address == "上海市浦东新区张江路88号" == task.new_address
    assert clock.state_of(record) == clock.ContactState.OK
    assert unseal(task, "new_phone_cipher") == "13912345678"
    assert task.new_phone_mask == "139****5678"
    assert {"visit", "campaign"} <= set(record.events.values_list("kind", flat=True))
    assert list(task.events.values_list("kind", "outcome")) == [("decided", "located")]
    assert AuditEntry.unscoped.filter(action="campaign.decide", object_id=str(task.pk)).exists()


def test_located_needs_the_new_address_and_a_valid_phone(world):
    with pytest.raises(ValidationError) as no_address:
        services.decide(_actor(world), world.task_a, Outcome.LOCATED, {"new_address": " "})
    with pytest.raises(ValidationError) as bad_phone:
        services.decide(
            _actor(world), world.task_a, Outcome.LOCATED, {**LOCATED, "new_phone": "12345"}
        )
    assert "new_address" in no_address.value.error_dict
    assert "new_phone" in bad_phone.value.error_dict
    assert _fresh(world.task_a).is_pending


def test_returned_ends_the_floating_record_and_the_member_is_normal_again(world):
    services.decide(_actor(world), world.task_a, Outcome.RETURNED, _data(Outcome.RETURNED))
    record = _fresh(world.outflow_record_a)
    assert record.status == RecordStatus.RETURNED and record.ended_on == timezone.localdate()
    assert Member.unscoped.get(pk=world.outflow_a.pk).status == "normal"


@pytest.mark.parametrize("outcome", [Outcome.TRANSFERRED, Outcome.UNREACHABLE])
def test_transferred_and_unreachable_are_recorded_with_their_note(world, outcome):
    with pytest.raises(ValidationError):
        services.decide(_actor(world), world.task_a, outcome, {"note": ""})
    services.decide(_actor(world), world.task_a, outcome, NOTES)
    task = _fresh(world.task_a)
    assert (task.outcome, task.note) == (outcome, NOTES["note"])
    assert _fresh(world.outflow_record_a).status == RecordStatus.ACTIVE


@pytest.mark.parametrize("first", DECIDED)
@pytest.mark.parametrize("second", DECIDED)
def test_a_decided_task_cannot_be_decided_again(world, first, second):
    services.decide(_actor(world), world.task_a, first, _data(first))
    with pytest.raises(ValidationError):
        services.decide(_actor(world), world.task_a, second, _data(second))
    assert _fresh(world.task_a).outcome == first
    assert TaskEvent.objects.filter(task=world.task_a).count() == 1


def test_pending_is_not_an_outcome(world):
    with pytest.raises(ValidationError):
        services.decide(_actor(world), world.task_a, Outcome.PENDING, {})


@pytest.mark.parametrize("outcome", DECIDED)
def test_the_tasks_of_a_closed_campaign_are_frozen(world, outcome):
    services.close(_actor(world, "town_admin"), world.campaign_a, unfinished_confirmed=True)
    with pytest.raises(ValidationError):
        services.decide(_actor(world), world.task_a, outcome, _data(outcome))
    with pytest.raises(ValidationError):
        services.reassign(_actor(world, "town_admin"), world.task_a, world.users["town_admin"])
    assert _fresh(world.task_a).is_pending


def test_task_events_are_append_only(world):
    services.decide(_actor(world), world.task_a, Outcome.UNREACHABLE, NOTES)
    event = TaskEvent.objects.get(task=world.task_a)
    event.outcome = "located"
    with pytest.raises(AppendOnlyError):
        event.save()


# Handing over and closing -------------------------------------------------------------------


def test_a_town_admin_hands_a_task_to_a_worker_of_the_grid_and_nobody_else(world):
    secretary = world.users["branch_secretary"]
    services.reassign(_actor(world, "town_admin"), world.task_a, secretary)
    assert _fresh(world.task_a).assignee == secretary
    assert TaskEvent.objects.get(task=world.task_a).detail == {
        "from": "worker_a",
        "to": "secretary_a",
    }
    with pytest.raises(ValidationError):
        services.reassign(_actor(world, "town_admin"), world.task_a, world.users["outsider"])


def test_closing_with_pending_tasks_needs_confirmation_and_leaves_them_unfinished(world):
    with pytest.raises(ValidationError):
        services.close(_actor(world, "town_admin"), world.campaign_a, unfinished_confirmed=False)
    assert _fresh(world.campaign_a).status == CampaignStatus.OPEN
    services.close(_actor(world, "town_admin"), world.campaign_a, unfinished_confirmed=True)
    campaign = _fresh(world.campaign_a)
    assert campaign.status == CampaignStatus.CLOSED and campaign.closed_by.username == "town_a"
    assert CampaignTask.unscoped.filter(campaign=campaign, outcome=Outcome.PENDING).count() == 2
    with pytest.raises(ValidationError):
        services.close(_actor(world, "town_admin"), campaign, unfinished_confirmed=True)
    closed = AuditEntry.unscoped.get(action="campaign.close", object_id=str(campaign.pk))
    assert closed.detail == {"unfinished": 2}


def test_a_campaign_with_every_task_decided_closes_without_confirmation(world):
    services.decide(_actor(world), world.task_b, Outcome.UNREACHABLE, NOTES)
    services.close(_actor(world, "outsider"), world.campaign_b, unfinished_confirmed=False)
    assert _fresh(world.campaign_b).status == CampaignStatus.CLOSED


# Figures ------------------------------------------------------------------------------------


def test_progress_per_grid_and_town_follows_the_decisions(world):
    with activate(world.users["district_admin"].scope()):
        tasks = CampaignTask.objects.filter(campaign=world.campaign_a)
        assert stats.progress(tasks) == (0, 2)
        services.decide(_actor(world), world.task_a, Outcome.LOCATED, LOCATED)
        assert stats.progress(tasks) == (1, 2)
        (grid,) = stats.by_grid(tasks)
        assert (grid.name, grid.village, grid.town) == ("崔桥村第1网格", "崔桥村", "横林镇")
        assert (grid.done, grid.total, grid.lost, grid.finished) == (1, 2, 1, False)
        other = _task(world, world.campaign_a, world.inflow_record_a)
        services.decide(_actor(world), other, Outcome.UNREACHABLE, NOTES)
        (grid,) = stats.by_grid(tasks)
        assert grid.finished and stats.finished_grids([grid]) == 1
        counts = stats.outcome_counts(tasks)
        assert counts == dict.fromkeys(Outcome.values, 0) | {"located": 1, "unreachable": 1}
        (town,) = stats.by_town(stats.by_grid(tasks))
        assert (town.name, town.done, town.total) == ("横林镇", 2, 2)


def test_the_report_shows_totals_lost_members_located_and_the_unreachable(world, client):
    services.decide(_actor(world), world.task_a, Outcome.LOCATED, LOCATED)
    other = _task(world, world.campaign_a, world.inflow_record_a)
    services.decide(_actor(world), other, Outcome.UNREACHABLE, {"note": "多次上门无人"})
    client.force_login(world.users["town_admin"])
    response = client.get(reverse("control:campaign_report", kwargs={"pk": world.campaign_a.pk}))
    context = response.context
    assert (context["done"], context["total"], context["lost"], context["lost_located"]) == (
        2,
        2,
        1,
        1,
    )
    assert [t.member.name for t in context["located_lost"]] == ["王强"]
    assert [t.member.name for t in context["unreachable"]] == ["潘永贤"]
    html = response.content.decode()
    assert "张江路88号" in html and "多次上门无人" in html and "139****5678" in html
    assert "13912345678" not in html


def test_the_spreadsheet_opens_and_neutralizes_formulas(world, client):
    services.decide(_actor(world), world.task_a, Outcome.UNREACHABLE, {"note": "=HYPERLINK(1)"})
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_report_xlsx", kwargs={"pk": world.campaign_a.pk})
    response = client.get(url)
    table = sheets.read(response)
    assert table.info[0] == "横林镇归队行动：工作报告" and "排查范围：横林镇" in table.info[2]
    assert unquote(response["Content-Disposition"]).endswith(
        f"横林镇党委_横林镇归队行动_{timezone.localdate().isoformat()}.xlsx"
    )
    assert len(table.rows) == 2  # two tasks
    by_name = {row[3]: row for row in table.rows}
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert by_name["王强"][10] == "=HYPERLINK(1)"
    assert by_name["王强"][2] == "崔桥村第1网格" and by_name["王强"][0] == "横林镇"
    # Text cells with Excel's quote prefix: shown as written, never run as formulas.
    formula_like = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)
    assert AuditEntry.unscoped.filter(action="campaign.export").count() == 1


# Scoping ------------------------------------------------------------------------------------


def _listed(client, user):
    client.force_login(user)
    response = client.get(reverse("control:campaign_list"))
    return {c.name for c in response.context["page"].object_list}


def test_a_grid_worker_sees_the_sweeps_of_their_grid_and_another_town_sees_its_own(world, client):
    _district_sweep(world)
    assert _listed(client, world.users["grid_worker"]) == {"横林镇归队行动", "全区归队行动"}
    assert _listed(client, world.users["outsider"]) == {"遥观镇归队行动", "全区归队行动"}
    assert _listed(client, world.users["district_admin"]) == {
        "横林镇归队行动",
        "遥观镇归队行动",
        "全区归队行动",
    }


def test_a_grid_worker_counts_only_their_grids_tasks_in_the_district_sweep(world, client):
    campaign = _district_sweep(world)
    url = reverse("control:campaign_detail", kwargs={"pk": campaign.pk})
    client.force_login(world.users["grid_worker"])
    worker = client.get(url).context
    assert (worker["total"], [g.name for g in worker["grids"]]) == (2, ["崔桥村第1网格"])
    assert worker["mine"] == 2 and not worker["can_close"]
    client.force_login(world.users["district_admin"])
    district = client.get(url).context
    assert district["total"] == 3 and len(district["towns"]) == 2 and district["can_close"]


def test_a_town_admin_cannot_close_the_district_sweep_they_see(world, client):
    campaign = _district_sweep(world)
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_close", kwargs={"pk": campaign.pk})
    assert client.post(url, {"confirm_unfinished": "1"}).status_code == 404
    assert _fresh(campaign).status == CampaignStatus.OPEN


def test_deciding_another_towns_task_answers_404_and_changes_nothing(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_task_decide", kwargs={"pk": world.task_b.pk})
    assert client.post(url, {"outcome": "unreachable", "note": "x"}).status_code == 404
    assert _fresh(world.task_b).is_pending


@pytest.mark.parametrize(
    ("role", "name", "target"),
    [
        ("auditor", "control:campaign_task_decide", "task_a"),
        ("grid_worker", "control:campaign_close", "campaign_a"),
        ("branch_secretary", "control:campaign_task_assign", "task_a"),
    ],
)
def test_a_role_without_the_right_gets_403_and_nothing_changes(world, client, role, name, target):
    client.force_login(world.users[role])
    url = reverse(name, kwargs={"pk": getattr(world, target).pk})
    data = {"outcome": "unreachable", "note": "x", "confirm_unfinished": "1"}
    assert client.post(url, data).status_code == 403
    assert _fresh(world.task_a).is_pending
    assert _fresh(world.campaign_a).status == CampaignStatus.OPEN


# Pages --------------------------------------------------------------------------------------


def test_opening_through_the_page_shows_the_task_count_before_confirming(world, client):
    _floating_in_grid_a2(world)
    Campaign.unscoped.filter(pk=world.campaign_a.pk).update(status=CampaignStatus.CLOSED)
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_create")
    assert list(client.get(url).context["form"].fields["region"].queryset) == [world.town_a]
    data = {"name": "第二轮", "region": world.town_a.pk, "due_on": "2099-01-31"}
    preview = client.post(url, data)
    assert preview.context["sweep"].total == 3 and preview.context["sweep"].lost == 1
    assert not Campaign.unscoped.filter(name="第二轮").exists()
    opened = client.post(url, {**data, "confirm": "1"})
    campaign = Campaign.unscoped.get(name="第二轮")
    assert opened["Location"] == reverse("control:campaign_detail", kwargs={"pk": campaign.pk})
    assert CampaignTask.unscoped.filter(campaign=campaign).count() == 3


def test_a_town_admin_cannot_choose_another_town_on_the_page(world, client):
    client.force_login(world.users["town_admin"])
    data = {"name": "越权", "region": world.town_b.pk, "due_on": "2099-01-31", "confirm": "1"}
    response = client.post(reverse("control:campaign_create"), data)
    assert response.status_code == 200 and response.context["form"].errors["region"]
    assert not Campaign.unscoped.filter(name="越权").exists()


def test_the_worker_records_outcomes_on_the_page_and_moves_to_the_next_task(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:campaign_task_decide", kwargs={"pk": world.task_a.pk})
    refused = client.post(url, {"outcome": "unreachable"})
    assert refused.status_code == 200 and refused.context["form"].errors["note"]
    response = client.post(url, {"outcome": "located", **LOCATED})
    following = _task(world, world.campaign_a, world.inflow_record_a)
    assert response["Location"] == reverse("control:campaign_task", kwargs={"pk": following.pk})
    again = client.post(url, {"outcome": "unreachable", "note": "x"})
    assert again.context["form"].non_field_errors() and _fresh(world.task_a).outcome == "located"
    last = reverse("control:campaign_task_decide", kwargs={"pk": following.pk})
    done = client.post(last, {"outcome": "unreachable", "note": "不在"})
    assert done["Location"] == reverse("control:campaign_tasks", kwargs={"pk": world.campaign_a.pk})


def test_the_task_list_filters_by_outcome_grid_assignee_and_lost(world, client):
    services.decide(_actor(world), world.task_a, Outcome.UNREACHABLE, NOTES)
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_tasks", kwargs={"pk": world.campaign_a.pk})

    def names(query):
        return [t.member.name for t in client.get(url + query).context["page"].object_list]

    assert names("") == ["潘永贤", "王强"] or names("") == ["王强", "潘永贤"]
    assert names("?outcome=pending") == ["潘永贤"]
    assert names("?lost=1") == ["王强"]
    assert names(f"?grid={world.grid_a.pk}&outcome=unreachable") == ["王强"]
    assert names("?mine=1") == []
    client.force_login(world.users["grid_worker"])
    assert len(names("?mine=1")) == 2


def test_the_detail_page_lists_the_grids_still_sweeping_and_those_finished(world, client):
    services.decide(_actor(world), world.task_b, Outcome.UNREACHABLE, NOTES)
    campaign = _district_sweep(world)
    task_b = _task(world, campaign, world.outflow_record_b)
    services.decide(_actor(world, "outsider"), task_b, Outcome.LOCATED, LOCATED)
    client.force_login(world.users["district_admin"])
    url = reverse("control:campaign_detail", kwargs={"pk": campaign.pk})

    def grids(query):
        return [row.name for row in client.get(url + query).context["grid_page"].object_list]

    assert grids("") == ["崔桥村第1网格", "剑湖村第1网格"]
    assert grids("?grids=finished") == ["剑湖村第1网格"]
    assert grids("?grids=unfinished") == ["崔桥村第1网格"]
    assert client.get(url).context["finished"] == 1


def test_the_town_admin_hands_a_task_over_on_the_page(world, client):
    client.force_login(world.users["town_admin"])
    page = client.get(reverse("control:campaign_task", kwargs={"pk": world.task_a.pk}))
    choices = list(page.context["assign_form"].fields["assignee"].queryset)
    assert world.users["branch_secretary"] in choices and world.users["outsider"] not in choices
    url = reverse("control:campaign_task_assign", kwargs={"pk": world.task_a.pk})
    client.post(url, {"assignee": world.users["branch_secretary"].pk})
    assert _fresh(world.task_a).assignee == world.users["branch_secretary"]
    client.post(url, {"assignee": world.users["outsider"].pk})
    assert _fresh(world.task_a).assignee == world.users["branch_secretary"]


def test_the_demo_has_a_district_sweep_under_way_and_a_closed_town_sweep(everything):
    from heli.demo.zone import build_zone

    build_zone(seed=2024)
    district = Campaign.objects.get(region__kind="district")
    tasks = CampaignTask.objects.filter(campaign=district)
    done, total = stats.progress(tasks)
    assert district.is_open and total == 581 and 0.5 < done / total < 0.7
    assert not CampaignTask.objects.filter(outcome=Outcome.RETURNED).exists()
    assert FloatingRecord.objects.filter(status=RecordStatus.ACTIVE).count() == 581
    located = tasks.filter(outcome=Outcome.LOCATED).select_related("record")
    assert all(task.record.address == task.new_address for task in located)
    assert all(t.note for t in tasks.filter(outcome__in=[Outcome.UNREACHABLE, Outcome.TRANSFERRED]))
    assert TaskEvent.objects.filter(task__campaign=district).count() == done
    town = Campaign.objects.get(status=CampaignStatus.CLOSED)
    assert town.region.name == "遥观镇" and town.closed_at > town.opened_at
    assert CampaignTask.objects.filter(campaign=town, outcome=Outcome.PENDING).exists()
