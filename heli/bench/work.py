"""The bench zone's work and history (heli.bench.province): reminder letters, a sweep
campaign, transfers and a year of audit entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.bench.province import TODAY, Away, Places, Size, moment
from heli.members.choices import FloatingDirection
from heli.mobility.models import FlowRange


def build_letters(p: Places, away: list[Away], records: dict[int, int]) -> int:
    """A sent reminder letter for each outflow member away over LETTER_DUE_AFTER_DAYS, with
    its timeline and its organization's counter."""
    from django.conf import settings

    from heli.letters.models import LetterCounter, LetterEvent, LetterStatus, ReminderLetter
    from heli.letters.services import letter_number

    counters: dict[tuple[int, int], int] = {}
    letters = []
    for a in away:
        due = a.since + dt.timedelta(days=settings.LETTER_DUE_AFTER_DAYS)
        if a.direction != FloatingDirection.OUT or due > TODAY:
            continue
        org = p.branches[a.grid]
        key = (org.pk, due.year)
        counters[key] = serial = counters.get(key, 0) + 1
        letters.append(
            ReminderLetter(
                record_id=records[a.pk], member_id=a.pk, issuing_org=org, year=due.year,
                serial=serial, number=letter_number(org, due.year, serial),
                addressee=f"{a.place}有关党组织", status=LetterStatus.SENT, issued_on=due,
                created_at=moment(due, a.i), sent_on=due,
                expected_reply_on=due + dt.timedelta(days=settings.LETTER_REPLY_DAYS),
            )
        )  # fmt: skip
    ReminderLetter.unscoped.bulk_create(letters, batch_size=2000)
    events = []
    for letter in letters:
        at = letter.created_at
        events += [
            LetterEvent(letter=letter, at=at, to_status=LetterStatus.DRAFT, kind="issued",
                        username="bench"),
            LetterEvent(letter=letter, at=at, from_status=LetterStatus.DRAFT,
                        to_status=LetterStatus.SENT, kind="sent", username="bench",
                        note=letter.sent_on.isoformat()),
        ]  # fmt: skip
    LetterEvent.objects.bulk_create(events, batch_size=2000)
    LetterCounter.objects.bulk_create(
        LetterCounter(org_id=org, year=year, last=last) for (org, year), last in counters.items()
    )
    return len(letters)


def build_campaign(p: Places) -> int:
    """A sweep (归队行动) over the first town, opened a week ago, a task per floating record
    as `campaigns.services.plan` finds them, the grid user's grid assigned to them."""
    from heli.campaigns.models import Campaign, CampaignTask
    from heli.campaigns.services import plan, tasks_for

    town, user = p.towns[0], p.users["district"]
    opened = timezone.now() - dt.timedelta(days=7)
    campaign = Campaign.unscoped.create(
        name=f"{town.name}归队行动", region=town, opened_by=user, opened_at=opened,
        due_on=TODAY + dt.timedelta(days=30),
    )  # fmt: skip
    sweep = plan(town, today=TODAY)
    tasks = tasks_for(campaign, sweep)
    CampaignTask.unscoped.bulk_create(tasks, batch_size=2000)
    return len(tasks)


def build_transfers(size: Size, p: Places, pks: list[int]) -> int:
    """One transfer within the zone per 5,000 members, waiting for approval, with its first
    step: a normal member of a grid to the branch of a grid in the next town."""
    from heli.transfers.models import Transfer, TransferKind, TransferStatus, TransferStep

    transfers = []
    for n in range(max(1, size.members // 5000)):
        i = n * 5000 + 100  # a normal member (_kind)
        if i >= size.members:
            break
        g = i * size.grids // size.members
        source, target = p.branches[g], p.branches[(g + size.grids // size.towns) % size.grids]
        transfers.append(
            Transfer(
                member_id=pks[i], kind=TransferKind.WITHIN, from_org=source,
                from_org_name=source.name, to_org=target, to_org_name=target.name,
                flow_range=FlowRange.CITY, reason="工作调动", status=TransferStatus.APPLIED,
                approvals_needed=1, applied_by=p.users["district"],
            )
        )  # fmt: skip
    Transfer.unscoped.bulk_create(transfers)
    TransferStep.objects.bulk_create(
        TransferStep(
            transfer=t,
            action="apply",
            to_status=TransferStatus.APPLIED,
            org=t.from_org,
            org_name=t.from_org_name,
            username="bench",
            at=timezone.now(),
            note=t.reason,
        )
        for t in transfers
    )
    return len(transfers)


AUDIT_ACTIONS = ("login", "logout", "member.reveal", "checkin.create", "member.lookup")


def audit_entries(count: int, p: Places, pks: list[int]) -> Iterator[AuditEntry]:
    """A year of the zone's history, oldest first: staff logins, reveals and lookups by the
    three bench users, public check-ins of members."""
    users = list(p.users.values())
    start = timezone.now() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(1, count)
    for n in range(count):
        action = AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)]
        at = start + step * n
        if action == "checkin.create":
            i = (n * 7919) % len(pks)
            yield AuditEntry(
                at=at, username="", action=action, object_type="members.member",
                object_id=str(pks[i]), object_repr=f"党员{i}",
            )  # fmt: skip
            continue
        user = users[n % len(users)]
        entry = AuditEntry(
            at=at, user=user, username=user.username, org_path=user.org.path, action=action,
            ip_address=f"10.0.{n % 250}.{n % 199 + 1}",
        )  # fmt: skip
        if action == "member.reveal":
            i = (n * 104729) % len(pks)
            entry.object_type, entry.object_id = "members.member", str(pks[i])
            entry.detail = {"fields": ["id_number", "phone"]}
        elif action == "member.lookup":
            entry.detail = {"kind": "tail", "value": f"{n % 10_000:04d}"}
        yield entry
