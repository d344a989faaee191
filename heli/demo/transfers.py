"""Demo relationship transfers (组织关系转接): a dozen, in every state, with their history.

Bulk-created (a few queries, well under a second). Dates are counted back from today, so the
transfers in transit are still valid when the demo is opened. Accepted transfers have moved
their members, with the member's history row, as the service does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from heli.core.models import wipe
from heli.members.choices import MemberStatus
from heli.members.models import Member, MemberChange
from heli.mobility.models import FlowRange
from heli.orgs.models import OrgCategory, PartyOrg
from heli.transfers import rules
from heli.transfers.models import (
    LetterCounter,
    Transfer,
    TransferKind,
    TransferStatus,
    TransferStep,
)
from heli.transfers.services import format_serial, validity_days

S = TransferStatus


@dataclass(frozen=True)
class Plan:
    status: str
    kind: str
    days_ago: int  # when it was applied (or registered)
    reason: str
    closing: str = ""


PLANS = [
    Plan(S.APPLIED, TransferKind.WITHIN, 2, "工作调动，随单位迁至遥观镇"),
    Plan(S.APPLIED, TransferKind.OUT, 4, "回原籍河南固始工作生活"),
    Plan(S.APPROVED, TransferKind.WITHIN, 6, "家庭住址变更"),
    Plan(S.IN_TRANSIT, TransferKind.WITHIN, 9, "搬迁至新建小区居住"),
    Plan(S.IN_TRANSIT, TransferKind.OUT, 25, "赴安徽宿松长期务工"),
    Plan(S.IN_TRANSIT, TransferKind.IN, 7, "在横林镇长期工作，转入组织关系"),
    Plan(S.ACCEPTED, TransferKind.WITHIN, 40, "工作调动"),
    Plan(S.ACCEPTED, TransferKind.OUT, 70, "考入外地事业单位"),
    Plan(S.RETURNED, TransferKind.WITHIN, 30, "家庭住址变更", "材料不全：缺少党费缴纳证明"),
    Plan(S.EXPIRED, TransferKind.OUT, 140, "随子女迁居江苏兴化"),
    Plan(S.REJECTED, TransferKind.WITHIN, 20, "工作调动", "去向单位尚未确定，暂缓转接"),
    Plan(S.CANCELLED, TransferKind.OUT, 15, "回原籍工作", "本人申请撤回"),
]

# The steps each state went through, in order (the first is the application or registration).
PATHS = {
    S.APPLIED: ["apply"],
    S.APPROVED: ["apply", "approve"],
    S.IN_TRANSIT: ["apply", "approve", "issue"],
    S.ACCEPTED: ["apply", "approve", "issue", "accept"],
    S.RETURNED: ["apply", "approve", "issue", "return"],
    S.EXPIRED: ["apply", "approve", "issue", "expire"],
    S.REJECTED: ["apply", "reject"],
    S.CANCELLED: ["apply", "cancel"],
}
AFTER = {"apply": S.APPLIED, "register": S.IN_TRANSIT, "approve": S.APPROVED,
         "issue": S.IN_TRANSIT}  # fmt: skip


def build_transfers(zone) -> None:
    rng = zone.rng
    today = timezone.localdate()
    branches = list(zone.grid_branches.values())
    branch_of_grid = {grid.pk: zone.grid_branches[id(grid)] for grid in zone.grids}
    externals = list(PartyOrg.unscoped.filter(category=OrgCategory.EXTERNAL).order_by("path"))
    taken = set()
    town_path = zone.towns["横林镇"].path

    def member_of(**filters) -> Member:
        candidates = list(
            Member.unscoped.filter(deleted_at=None, **filters)
            .exclude(pk__in=taken)
            .order_by("pk")
            .values_list("pk", flat=True)[:400]
        )
        pk = rng.choice(candidates)
        taken.add(pk)
        return Member.unscoped.select_related("org").get(pk=pk)

    transfers, members_moved, changes, counters = [], [], [], {}
    for plan in PLANS:
        if plan.kind == TransferKind.IN:
            member = member_of(
                status=MemberStatus.FLOATING,
                org__category=OrgCategory.EXTERNAL,
                residence_grid__in=list(branch_of_grid),
            )
            source, target = member.org, branch_of_grid[member.residence_grid_id]
        else:
            # The accepted transfer out of the zone is the story of one of the registry's
            # former members (transferred out): the article's member counts stay as they are.
            gone = plan.status == S.ACCEPTED and plan.kind == TransferKind.OUT
            status = MemberStatus.TRANSFERRED_OUT if gone else MemberStatus.NORMAL
            # The first application waits for 横林镇's approval: the `town` account's desk
            # shows it on the first login.
            first_applied = plan is PLANS[0]
            own = [b for b in branches if b.path.startswith(town_path)] if first_applied else []
            member = member_of(status=status, org__in=own or branches)
            source = member.org
            if plan.kind == TransferKind.WITHIN:
                town = source.path[:10]
                target = rng.choice([b for b in branches if not b.path.startswith(town)])
            else:
                target = rng.choice(externals)
        applied_on = today - dt.timedelta(days=plan.days_ago)
        flow = FlowRange.CITY if plan.kind == TransferKind.WITHIN else FlowRange.OTHER_PROVINCE
        path = ["register"] if plan.kind == TransferKind.IN else PATHS[plan.status]
        transfer = Transfer(
            member=member, kind=plan.kind, from_org=source, from_org_name=source.name,
            to_org=target, to_org_name=target.name, to_place=target.external_place,
            flow_range=flow, reason=plan.reason, status=plan.status,
            approvals_needed=0 if plan.kind == TransferKind.IN else len(
                rules.approval_chain(source)),
            closing_reason=plan.closing, version=len(path),
        )  # fmt: skip
        if "approve" in path:
            transfer.approvals_done = transfer.approvals_needed
        if "issue" in path or plan.kind == TransferKind.IN:
            # Ours: the day after the last approval; theirs: some days before it reached us.
            after = transfer.approvals_needed + 1 if "issue" in path else -6
            transfer.issued_on = applied_on + dt.timedelta(days=after)
            transfer.valid_until = transfer.issued_on + dt.timedelta(days=validity_days(flow))
        if "issue" in path:
            transfer.issuing_org = rules.approval_chain(source)[transfer.approvals_needed - 1]
        if plan.kind == TransferKind.IN:
            transfer.external_serial = f"三组转字〔{today.year}〕第{rng.randrange(10, 99)}号"
        if plan.status == S.ACCEPTED:
            transfer.received_on = transfer.issued_on + dt.timedelta(days=3)
            members_moved.append((member, target, transfer))
        transfers.append((transfer, path, applied_on))
    # Letter numbers in the order the letters were issued, per year.
    for transfer in sorted((t for t, *_ in transfers if t.issuing_org_id), key=_issue_order):
        year = transfer.issued_on.year
        counters[year] = counters.get(year, 0) + 1
        transfer.serial_year, transfer.serial_number = year, counters[year]
        transfer.serial = format_serial(year, counters[year])
        if transfer.status == S.ACCEPTED:
            transfer.receipt_number = transfer.serial
    Transfer.unscoped.bulk_create([t for t, _path, _on in transfers])
    steps = []
    for transfer, path, applied_on in transfers:
        steps.extend(_steps(transfer, path, applied_on))
    TransferStep.objects.bulk_create(steps)
    for year, last in counters.items():
        LetterCounter.objects.update_or_create(year=year, defaults={"last": last})
    for member, target, transfer in members_moved:
        before = member.org.name
        member.org = target
        member.version += 1
        changes.append(
            MemberChange(
                member=member, username="demo", action="transfer",
                fields={"org": [before, target.name], "transfer": transfer.serial},
            )
        )  # fmt: skip
    Member.unscoped.bulk_update([m for m, *_ in members_moved], ["org", "version"])
    MemberChange.objects.bulk_create(changes)
    for transfer, _path, applied_on in transfers:  # auto_now_add stamped them today
        at = timezone.make_aware(dt.datetime.combine(applied_on, dt.time(9)))
        Transfer.unscoped.filter(pk=transfer.pk).update(created_at=at)


def _issue_order(transfer: Transfer) -> tuple:
    return (transfer.issued_on, transfer.member_id)


def _steps(transfer: Transfer, path: list[str], applied_on: dt.date) -> list[TransferStep]:
    steps, status = [], ""
    chain = []
    if transfer.kind != TransferKind.IN:
        chain = rules.approval_chain(transfer.from_org)[: transfer.approvals_needed]
    expanded = []
    for action in path:
        expanded.extend([action] * (len(chain) if action == "approve" else 1))
    levels = iter(chain)
    for i, action in enumerate(expanded):
        day = applied_on + dt.timedelta(days=i)
        if action == "expire":
            day = transfer.valid_until + dt.timedelta(days=1)
        if action == "issue":
            day = transfer.issued_on
        if action == "accept":
            day = transfer.received_on
        to_status = AFTER.get(action, transfer.status)
        org, org_name, behalf, note = transfer.from_org, "", False, ""
        if action == "approve":
            org = next(levels)
            to_status = S.APPROVED if org == chain[-1] else S.APPLIED
        elif action == "register":
            behalf, note = True, transfer.external_serial
        elif action in ("accept", "return"):
            external = transfer.to_org.is_external
            org = transfer.from_org if external else transfer.to_org
            org_name, behalf = transfer.to_org_name, external
            note = transfer.closing_reason
        elif action == "issue":
            note = transfer.serial
        elif action in ("reject", "cancel"):
            note = transfer.closing_reason
        elif action == "apply":
            note = transfer.reason
        if action == "expire":
            org = None
        steps.append(
            TransferStep(
                transfer=transfer, action=action, from_status=status, to_status=to_status,
                org=org, org_name=org_name or (org.name if org else ""), on_behalf=behalf,
                username="worker" if action == "expire" else "demo",
                at=timezone.make_aware(dt.datetime.combine(day, dt.time(9 + i, 30))),
                note=note,
            )
        )  # fmt: skip
        status = to_status
    return steps


def clear_transfers() -> None:
    wipe(TransferStep)
    Transfer.unscoped.all().delete()
    LetterCounter.objects.all().delete()
