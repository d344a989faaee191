"""The rules of a return-to-ranks campaign (归队行动): opening a sweep, deciding its tasks,
reassigning them and closing the sweep. Each change is one audited transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from heli.accounts.models import User
from heli.accounts.roles import Right, Role, require, rights_of
from heli.audit.services import Actor, record
from heli.campaigns.models import (
    DECIDED,
    Campaign,
    CampaignStatus,
    CampaignTask,
    Outcome,
    TaskEvent,
)
from heli.core import crypto, sealed
from heli.core.tree import ancestor_paths, in_subtree, subtree_q
from heli.members import phones
from heli.members.choices import FloatingDirection
from heli.mobility import floating
from heli.mobility.clock import lost_q
from heli.mobility.models import ContactKind, FloatingRecord, RecordStatus
from heli.orgs.models import TOWN_LEVEL, OrgCategory, OrgLevel, Region, RegionKind

SWEEP_KINDS = (RegionKind.DISTRICT, *TOWN_LEVEL)


def grid_of(rec: FloatingRecord) -> Region | None:
    """The grid whose worker looks for the member: where an outflow member's family lives
    (the residence grid, else the grid of the branch holding the relationship), where an
    inflow member is registered (the record's grid, else the residence grid)."""
    member = rec.member
    org_region = member.org.region if member.org_id and member.org.region_id else None
    org_grid = org_region if org_region is not None and org_region.is_grid else None
    if rec.direction == FloatingDirection.OUT:
        options = (member.residence_grid, org_grid, rec.grid)
    else:
        options = (rec.grid, member.residence_grid)
    return next((g for g in options if g is not None and g.is_grid), None)


@dataclass(frozen=True)
class Sweep:
    """What opening a campaign over `region` would create."""

    region: Region
    pairs: list[tuple[FloatingRecord, Region]]
    lost_ids: frozenset[int]
    without_grid: int  # active records of the area that no grid can take

    @property
    def total(self) -> int:
        return len(self.pairs)

    @property
    def lost(self) -> int:
        return len(self.lost_ids)


def plan(region: Region, today: dt.date | None = None) -> Sweep:
    """The active floating records whose grid lies in `region`'s subtree, each with its grid."""
    root = region.path
    near = (
        subtree_q("grid__path", root)
        | subtree_q("member__residence_grid__path", root)
        | subtree_q("member__org__region__path", root)
        | subtree_q("outflow_org__region__path", root)
    )
    # A record already worked in an open sweep is left to it (its member moved between two
    # towns, say): never two open tasks for one record.
    in_open_sweep = CampaignTask.unscoped.filter(
        record=OuterRef("pk"), campaign__status=CampaignStatus.OPEN
    )
    records = (
        FloatingRecord.unscoped.filter(status=RecordStatus.ACTIVE)
        .filter(near)
        .exclude(Exists(in_open_sweep))
        .select_related("grid", "member__residence_grid", "member__org__region")
        .order_by("pk")
    )
    pairs, without_grid = [], 0
    for rec in records:
        grid = grid_of(rec)
        if grid is None:
            without_grid += 1
        elif in_subtree(grid.path, root):
            pairs.append((rec, grid))
    ids = [rec.pk for rec, _grid in pairs]
    lost = FloatingRecord.unscoped.filter(pk__in=ids).filter(lost_q(today))
    return Sweep(region, pairs, frozenset(lost.values_list("pk", flat=True)), without_grid)


def tasks_for(campaign: Campaign, sweep: Sweep) -> list[CampaignTask]:
    """The campaign's tasks (unsaved): one per record of the sweep, handed to its grid's
    worker where there is one."""
    workers = grid_workers({grid.pk for _rec, grid in sweep.pairs})
    return [
        CampaignTask(
            campaign=campaign,
            record=rec,
            member_id=rec.member_id,
            grid=grid,
            assignee=workers.get(grid.pk),
            was_lost=rec.pk in sweep.lost_ids,
        )
        for rec, grid in sweep.pairs
    ]


def grid_workers(grid_ids: set[int]) -> dict[int, User]:
    """The first grid worker (by username) bound to each grid's branch."""
    workers = (
        User.objects.filter(
            role=Role.GRID_WORKER,
            is_active=True,
            org__region_id__in=grid_ids,
            org__level=OrgLevel.BRANCH,
            org__category=OrgCategory.REGIONAL,
        )
        .select_related("org")
        .order_by("username")
    )
    first: dict[int, User] = {}
    for user in workers:
        first.setdefault(user.org.region_id, user)
    return first


def _check_sweepable(actor: Actor, region: Region) -> None:
    if region.kind not in SWEEP_KINDS:
        raise ValidationError({"region": [_("A sweep covers the district or a town or street.")]})
    if actor.user is None or not actor.user.scope().covers_region(region.path):
        raise ValidationError({"region": [_("You can only sweep your own area.")]})


def overlapping(region: Region) -> Campaign | None:
    """The open sweep whose area is `region`, lies above it or lies below it, if any."""
    return (
        Campaign.unscoped.filter(status=CampaignStatus.OPEN)
        .filter(
            subtree_q("region__path", region.path) | Q(region__path__in=ancestor_paths(region.path))
        )
        .order_by("opened_at", "pk")
        .first()
    )


def check_no_overlap(region: Region) -> None:
    """Refuse a sweep over an area an open sweep already covers, wholly or in part: its
    members would get two tasks and its progress would count them twice."""
    found = overlapping(region)
    if found is None:
        return
    if in_subtree(region.path, found.region.path):
        text = _("“%(name)s” is still open and covers this area: close it first, or work in it.")
    else:
        text = _(
            "“%(name)s” is still open and covers part of this area: close it first, or work in it."
        )
    raise ValidationError({"region": [text % {"name": found.name}]})


def _lock_line_of(region: Region) -> None:
    """Lock the rows of the area and of every area above it, root first. Two overlapping
    areas are one above the other, so their openings always share a row and run one after
    the other; two towns share the district's row, which only orders them. (SQLite needs no
    row lock: heli's transactions there begin IMMEDIATE, one writer at a time.)"""
    lines = Region.unscoped.select_for_update().filter(path__in=ancestor_paths(region.path))
    list(lines.order_by("path").values_list("pk", flat=True))  # evaluated: the locks taken


@transaction.atomic
def open_campaign(
    actor: Actor, *, name: str, region: Region, due_on: dt.date, note: str = ""
) -> Campaign:
    """Open a sweep: one task per active floating record whose grid lies in the area."""
    require(actor.user, Right.OPEN_CAMPAIGNS)
    _check_sweepable(actor, region)
    _lock_line_of(region)
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": [_("The due date cannot be in the past.")]})
    check_no_overlap(region)
    sweep = plan(region)
    if not sweep.pairs:
        raise ValidationError(_("No floating member belongs to this area: nothing to sweep."))
    campaign = Campaign.unscoped.create(
        name=name.strip(), region=region, due_on=due_on, note=note.strip(), opened_by=actor.user
    )
    CampaignTask.unscoped.bulk_create(tasks_for(campaign, sweep), batch_size=1000)
    record(
        actor,
        "campaign.open",
        campaign,
        detail={"region": region.pk, "tasks": sweep.total, "lost": sweep.lost},
    )
    return campaign


def _locked(task: CampaignTask) -> CampaignTask:
    """The task under lock, its campaign locked first (closing takes the same lock)."""
    campaign = Campaign.unscoped.select_for_update().get(pk=task.campaign_id)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("This campaign is closed: its tasks can no longer change."))
    locked = CampaignTask.unscoped.select_for_update().get(pk=task.pk)
    locked.campaign = campaign
    return locked


REQUIRED_NOTE = {
    Outcome.TRANSFERRED: gettext_lazy(
        "Give the transfer's serial number or say where the member went."
    ),
    Outcome.UNREACHABLE: gettext_lazy("Say what was tried to reach the member."),
}


@transaction.atomic
def decide(actor: Actor, task: CampaignTask, outcome: str, data: dict[str, Any]) -> CampaignTask:
    """Record the outcome of a task, once, and apply it to the floating record: located
    restarts the lost-contact clock at the new address, returned ends the floating."""
    require(actor.user, Right.EDIT_MEMBERS)
    locked = _locked(task)
    if not locked.is_pending:
        raise ValidationError(_("This task has already been decided."))
    if outcome not in DECIDED:
        raise ValidationError({"outcome": [_("Choose the outcome of the search.")]})
    note = (data.get("note") or "").strip()
    if outcome in REQUIRED_NOTE and not note:
        raise ValidationError({"note": [str(REQUIRED_NOTE[outcome])]})
    rec = locked.record
    detail: dict[str, Any] = {}
    if outcome == Outcome.LOCATED:
        _apply_located(actor, locked, rec, data, note)
        detail["address"] = locked.new_address
    elif outcome == Outcome.RETURNED:
        on = data.get("returned_on") or timezone.localdate()
        if rec.status == RecordStatus.ACTIVE:
            floating.register_return(actor, rec, on)
        detail["on"] = on.isoformat()
    locked.outcome, locked.note = outcome, note
    locked.done_at, locked.done_by = timezone.now(), actor.user
    locked.save()
    TaskEvent.objects.create(
        task=locked, kind="decided", username=actor.username, outcome=outcome, detail=detail
    )
    floating.add_event(actor, rec, "campaign", campaign=locked.campaign.name, outcome=outcome)
    record(actor, "campaign.decide", locked, detail={"outcome": outcome, **detail})
    return locked


def _apply_located(
    actor: Actor, task: CampaignTask, rec: FloatingRecord, data: dict[str, Any], note: str
) -> None:
    address = (data.get("new_address") or "").strip()
    if not address:
        raise ValidationError({"new_address": [_("Give the address where the member was found.")]})
    raw_phone = (data.get("new_phone") or "").strip()
    if raw_phone:
        try:
            number = phones.validate(raw_phone)
        except ValidationError as exc:
            raise ValidationError({"new_phone": exc.messages}) from exc
        task.new_phone_cipher, task.new_phone_mask = (
            sealed.seal(CampaignTask, "new_phone_cipher", task.pk, number),
            crypto.mask_phone(number),
        )
    task.new_address = address
    floating.log_contact(actor, rec, ContactKind.VISIT, note or _("Located in the sweep"))
    FloatingRecord.unscoped.filter(pk=rec.pk).update(address=address)


def assignable_users(task: CampaignTask):
    """Accounts that may work the task: those with the right to edit members whose
    organization governs the task's grid or a place above it."""
    roles = [role for role in Role.values if Right.EDIT_MEMBERS in rights_of(role)]
    return User.objects.filter(
        is_active=True,
        role__in=roles,
        org__category=OrgCategory.REGIONAL,
        org__region__path__in=ancestor_paths(task.grid.path),
    ).order_by("username")


@transaction.atomic
def reassign(actor: Actor, task: CampaignTask, user: User) -> CampaignTask:
    require(actor.user, Right.OPEN_CAMPAIGNS)
    locked = _locked(task)
    if not locked.is_pending:
        raise ValidationError(_("This task has already been decided."))
    if not assignable_users(locked).filter(pk=user.pk).exists():
        raise ValidationError({"assignee": [_("This account cannot work in the task's grid.")]})
    before = locked.assignee.username if locked.assignee else ""
    locked.assignee = user
    locked.save(update_fields=["assignee"])
    change = {"from": before, "to": user.username}
    TaskEvent.objects.create(task=locked, kind="assigned", username=actor.username, detail=change)
    record(actor, "campaign.assign", locked, detail=change)
    return locked


@transaction.atomic
def reassign_all(actor: Actor, tasks: list[CampaignTask], user: User) -> int:
    """Hand several tasks to one worker, all or none (a batch from the task list): every task
    must be pending, in an open campaign, and in a grid the worker may work in. One audit
    entry names them all."""
    require(actor.user, Right.OPEN_CAMPAIGNS)
    pks = sorted({task.pk for task in tasks})
    if not pks:
        raise ValidationError(_("Tick at least one task."))
    campaign_ids = sorted({task.campaign_id for task in tasks})
    campaigns = Campaign.unscoped.select_for_update().filter(pk__in=campaign_ids)
    if any(c.status != CampaignStatus.OPEN for c in campaigns):
        raise ValidationError(_("This campaign is closed: its tasks can no longer change."))
    locked = list(
        CampaignTask.unscoped.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("member", "grid", "assignee")
        .order_by("pk")
    )
    decided = [t.member.name for t in locked if not t.is_pending]
    if decided:
        raise ValidationError(
            _("Already decided: %(names)s. Untick them and try again.")
            % {"names": "、".join(decided)}
        )
    refused = [t.member.name for t in locked if not _may_work(user, t)]
    if refused:
        raise ValidationError(
            _(
                "%(worker)s cannot work in the grids of %(names)s: choose another worker or "
                "untick them."
            )
            % {"worker": user.display_name, "names": "、".join(refused)}
        )
    moves = []
    for task in locked:
        before = task.assignee.username if task.assignee else ""
        task.assignee = user
        moves.append({"id": task.pk, "member": task.member.name, "from": before})
        TaskEvent.objects.create(
            task=task, kind="assigned", username=actor.username,
            detail={"from": before, "to": user.username},
        )  # fmt: skip
    CampaignTask.unscoped.bulk_update(locked, ["assignee"])
    record(
        actor,
        "campaign.assign",
        None,
        detail={"to": user.username, "count": len(locked), "tasks": moves},
    )
    return len(locked)


def _may_work(user: User, task: CampaignTask) -> bool:
    """The worker's organization governs the task's grid or a place above it (the rule of
    `assignable_users`, checked in memory for a batch)."""
    org = user.org
    if not user.is_active or org is None or org.category != OrgCategory.REGIONAL:
        return False
    if Right.EDIT_MEMBERS not in rights_of(user.role) or org.region_id is None:
        return False
    return in_subtree(task.grid.path, org.region.path)


@transaction.atomic
def close(actor: Actor, campaign: Campaign, *, unfinished_confirmed: bool) -> Campaign:
    """Close the sweep. Tasks still pending stay pending and are reported as unfinished;
    closing over them needs the closer's explicit confirmation."""
    require(actor.user, Right.OPEN_CAMPAIGNS)
    locked = Campaign.unscoped.select_for_update().get(pk=campaign.pk)
    if locked.status != CampaignStatus.OPEN:
        raise ValidationError(_("This campaign is already closed."))
    pending = CampaignTask.unscoped.filter(campaign=locked, outcome=Outcome.PENDING).count()
    if pending and not unfinished_confirmed:
        raise ValidationError(
            ngettext(
                "%(count)d task is still pending: confirm to close the campaign anyway.",
                "%(count)d tasks are still pending: confirm to close the campaign anyway.",
                pending,
            )
            % {"count": pending}
        )
    locked.status, locked.closed_at, locked.closed_by = (
        CampaignStatus.CLOSED,
        timezone.now(),
        actor.user,
    )
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    record(actor, "campaign.close", locked, detail={"unfinished": pending})
    return locked
