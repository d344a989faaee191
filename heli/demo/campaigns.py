"""Demo return-to-ranks campaigns (归队行动): a district-wide sweep opened three weeks ago and
about 60% decided, and an earlier sweep of 遥观镇, closed with a few tasks unfinished.

Outcomes are located, unreachable or transferred only: a return would end a floating record
and change the article's 581. Located updates the record's address and restarts its clock
(the record's own fields, as `services.decide` does), never the member. Rows go in bulk.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from heli.accounts.models import User
from heli.audit.services import Actor, record
from heli.campaigns.models import Campaign, CampaignStatus, CampaignTask, Outcome, TaskEvent
from heli.campaigns.services import plan, tasks_for
from heli.core import crypto, sealed
from heli.core.ids import allocate_ids
from heli.core.models import wipe
from heli.demo import places
from heli.mobility.models import FloatingEvent, FloatingRecord

DECIDED_SHARE = 0.6
OUTCOMES = [(Outcome.LOCATED, 60), (Outcome.UNREACHABLE, 25), (Outcome.TRANSFERRED, 15)]
UNREACHABLE_NOTES = [
    "电话为空号，家属不清楚其现居地址",
    "三次上门无人，邻居称已外出务工",
    "原工作单位称已离职，联系方式失效",
    "微信、电话均未回复，已请原单位协助查找",
]
STREETS = ["人民路", "建设路", "解放路", "工业园路", "幸福路", "长江路", "新华街"]


def _moment(start: dt.datetime, end: dt.datetime, rng: random.Random) -> dt.datetime:
    return start + (end - start) * rng.random()


def _sweep(
    name: str, region, user: User, opened_at: dt.datetime, due_on: dt.date, note: str,
    share: float, until: dt.datetime, rng: random.Random,
) -> Campaign:  # fmt: skip
    """A campaign with its tasks, `share` of them decided between the opening and `until`."""
    campaign = Campaign.unscoped.create(
        name=name, region=region, opened_by=user, opened_at=opened_at, due_on=due_on, note=note
    )
    sweep = plan(region, today=timezone.localdate(opened_at))
    tasks = tasks_for(campaign, sweep)
    # Ids first: a located member's new phone is encrypted for its task's row.
    for task, pk in zip(tasks, allocate_ids(CampaignTask, len(tasks)), strict=True):
        task.pk = pk
    record(Actor(user=user), "campaign.open", campaign, detail={"tasks": len(tasks)})
    _decide(campaign, tasks, share, until, user, rng)
    return campaign


def _decide(
    campaign: Campaign,
    tasks: list[CampaignTask],
    share: float,
    until: dt.datetime,
    user: User,
    rng: random.Random,
) -> None:
    values, weights = zip(*OUTCOMES, strict=True)
    decided, records, task_events, record_events = [], [], [], []
    # The `grid` account's own tasks of the open sweep wait for it: its desk shows them.
    waiting = set(User.objects.filter(username="grid").values_list("org__region_id", flat=True))
    for task in tasks:
        if rng.random() >= share or (campaign.is_open and task.grid_id in waiting):
            continue
        rec = task.record
        task.outcome = rng.choices(values, weights)[0]
        task.done_at = _moment(campaign.opened_at + dt.timedelta(hours=4), until, rng)
        task.done_by = task.assignee or user
        detail = {}
        if task.outcome == Outcome.LOCATED:
            task.new_address = (
                f"{rec.place}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
                if rec.direction == "out"
                else f"常州市{places.DISTRICT}{task.grid.name}{rng.randrange(1, 60)}幢"
            )
            if rng.random() < 0.5:
                phone = "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))
                task.new_phone_cipher = sealed.seal(
                    CampaignTask, "new_phone_cipher", task.pk, phone
                )
                task.new_phone_mask = crypto.mask_phone(phone)
            task.note = "网格员走访找到本人，已更新联系地址"
            rec.address = task.new_address
            if rec.last_contact_at is None or rec.last_contact_at < task.done_at:
                rec.last_contact_at = task.done_at
            records.append(rec)
            detail["address"] = task.new_address
        elif task.outcome == Outcome.TRANSFERRED:
            serial = f"常经开组转〔{task.done_at:%Y}〕{rng.randrange(1, 999):03d}号"
            task.note = f"组织关系已转出，介绍信编号 {serial}"
        else:
            task.note = rng.choice(UNREACHABLE_NOTES)
        decided.append(task)
        username = task.done_by.username
        task_events.append(
            TaskEvent(
                task=task,
                kind="decided",
                username=username,
                outcome=task.outcome,
                detail=detail,
                at=task.done_at,
            )
        )
        record_events.append(
            FloatingEvent(
                record=rec, kind="campaign", username=username, at=task.done_at,
                detail={"campaign": campaign.name, "outcome": task.outcome},
            )
        )  # fmt: skip
    CampaignTask.unscoped.bulk_create(tasks, batch_size=1000)
    FloatingRecord.unscoped.bulk_update(records, ["address", "last_contact_at"], batch_size=500)
    # Events carry the moment of the decision, not of the demo's build (set before the
    # insert: history rows are sealed as they are inserted and never updated).
    TaskEvent.objects.bulk_create(task_events, batch_size=1000)
    FloatingEvent.objects.bulk_create(record_events, batch_size=1000)


def build_campaigns(zone) -> None:
    rng = random.Random(zone.rng.random())
    now = timezone.now()
    district_user = User.objects.get(username="district")
    town = zone.towns["遥观镇"]
    opener = User.objects.filter(org__region=town, role="town_admin").first() or district_user
    opened = now - dt.timedelta(days=100)
    earlier = _sweep(
        f"{town.name}流动党员归队行动（第一轮）", town, opener, opened,
        timezone.localdate(opened) + dt.timedelta(days=30), "对全镇流动党员逐一走访联系。",
        0.9, opened + dt.timedelta(days=30), rng,
    )  # fmt: skip
    closed_at = opened + dt.timedelta(days=32)
    Campaign.unscoped.filter(pk=earlier.pk).update(
        status=CampaignStatus.CLOSED, closed_at=closed_at, closed_by=opener
    )
    unfinished = CampaignTask.unscoped.filter(campaign=earlier, outcome=Outcome.PENDING).count()
    record(Actor(user=opener), "campaign.close", earlier, detail={"unfinished": unfinished})

    opened = now - dt.timedelta(days=21)
    district = zone.regions[0]
    _sweep(
        f"{district.name}流动党员归队行动", district, district_user, opened,
        timezone.localdate(opened) + dt.timedelta(days=35),
        "拉网式排查村、社区、企业和新就业群体，找到每一名流动党员，失联党员优先。",
        DECIDED_SHARE, now - dt.timedelta(hours=2), rng,
    )  # fmt: skip


def clear_campaigns() -> None:
    wipe(TaskEvent)
    CampaignTask.unscoped.all().delete()
    Campaign.unscoped.all().delete()
