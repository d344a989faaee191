"""Notices to the staff of the organization responsible for a floating record (see
`notice_models`): written by the daily tasks, at most once per record per state change, read
on the desk and marked read.

A run looks at the records whose state changed since the day the previous run looked through
(kept in that run's audit entry), or the last FIRST_RUN_DAYS days the first time, so that a
zone that starts using it is not flooded with years of old silences; the unique key makes a
second run of the same day, or two workers' runs, add nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.members.choices import FloatingDirection
from heli.mobility import clock
from heli.mobility.models import FloatingRecord, Notice, NoticeKind
from heli.orgs.models import OrgCategory, PartyOrg

FIRST_RUN_DAYS = clock.NEWLY_LOST_DAYS
# A worker stopped for longer than this catches up this far back only.
CATCH_UP_DAYS = 31
# Read notices are kept this long, then the daily run removes them (unread ones stay: to do).
KEEP_READ = dt.timedelta(days=365)
CONTACT_RUN = "notice.contact_run"
CONTACT_KINDS = {
    clock.ContactState.WARNING: NoticeKind.CONTACT_WARNING,
    clock.ContactState.LOST: NoticeKind.CONTACT_LOST,
    clock.ContactState.LAPSE: NoticeKind.CONTACT_LAPSE,
}


def looked_through(action: str, today: dt.date) -> dt.date:
    """The last day the previous run of `action` looked at (its audit entry's `through`),
    within CATCH_UP_DAYS; FIRST_RUN_DAYS back when there was none."""
    last = (
        AuditEntry.unscoped.filter(action=action, at__gte=timezone.now() - dt.timedelta(days=40))
        .order_by("-at", "-id")
        .values_list("detail", flat=True)
        .first()
    )
    if not last or "through" not in last:
        return today - dt.timedelta(days=FIRST_RUN_DAYS)
    day = dt.date.fromisoformat(last["through"])
    return min(today, max(day, today - dt.timedelta(days=CATCH_UP_DAYS)))


class Responsible:
    """The organization whose staff keep in touch with a record's member: the outflow
    organization for an outflow, the inflow side (the confirmed inflow organization, the
    branch joined, or the branch of the grid where they live) for an inflow. Grid branches
    are looked up once per run."""

    def __init__(self) -> None:
        self.branches: dict[int, PartyOrg | None] = {}

    def __call__(self, floating: FloatingRecord) -> PartyOrg | None:
        if floating.direction == FloatingDirection.OUT:
            return floating.outflow_org
        org = floating.inflow_org or floating.joined_org
        if org is None and floating.grid_id:
            if floating.grid_id not in self.branches:
                self.branches[floating.grid_id] = (
                    PartyOrg.unscoped.filter(
                        region_id=floating.grid_id, category=OrgCategory.REGIONAL
                    )
                    .order_by("path")
                    .first()
                )
            org = self.branches[floating.grid_id]
        return None if org is None or org.is_external else org


def add(notices: Iterable[Notice]) -> int:
    """Insert the notices not yet there (kind, record, day); how many were new. Safe against
    another run inserting the same ones at the same time (the unique key, conflicts ignored)."""
    notices = list(notices)
    if not notices:
        return 0
    there: set[tuple] = set()
    ids = sorted({n.record_id for n in notices})
    for start in range(0, len(ids), 500):
        there |= set(
            Notice.unscoped.filter(
                record_id__in=ids[start : start + 500], kind__in={n.kind for n in notices}
            ).values_list("kind", "record_id", "day")
        )
    new = [n for n in notices if (n.kind, n.record_id, n.day) not in there]
    for n in new:
        n.org_path = n.org.path
    Notice.unscoped.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def crossed_q(state: clock.ContactState, since: dt.date, today: dt.date) -> Q:
    """Records in `state` today that were not yet silent long enough for it on `since`: they
    crossed into it after the day the previous run looked through."""
    days = dt.timedelta(days=clock.threshold(state))
    return clock.state_q(state, today) & clock.last_contact_between_q(since - days, today - days)


def contact_notices(today: dt.date | None = None) -> dict[str, int]:
    """The daily run: a notice per record that crossed into the contact warning, lost contact
    or the six-month flag since the previous run, for its responsible organization; an audit
    entry of the run. Returns the counts ({kind: new notices}, "skipped": no organization)."""
    today = today or timezone.localdate()
    since = looked_through(CONTACT_RUN, today)
    responsible = Responsible()
    counts: dict[str, int] = {"skipped": 0}
    with transaction.atomic():
        for state, kind in CONTACT_KINDS.items():
            crossed = (
                FloatingRecord.unscoped.filter(crossed_q(state, since, today))
                .select_related("outflow_org", "inflow_org", "joined_org")
                .order_by("pk")
            )
            found = []
            for floating in crossed.iterator(chunk_size=1000):
                org = responsible(floating)
                if org is None:
                    counts["skipped"] += 1
                    continue
                day = clock.last_contact_day(floating)
                found.append(Notice(kind=kind, record=floating, day=day, org=org))
            counts[kind] = add(found)
        counts["pruned"] = prune_read()
        record(
            Actor.system("worker"),
            "notice.contact_run",  # CONTACT_RUN, written out for the audit registry's scan
            detail={"since": since.isoformat(), "through": today.isoformat(), **counts},
        )
    return counts


def prune_read(now: dt.datetime | None = None) -> int:
    """Remove the notices read more than KEEP_READ ago."""
    cutoff = (now or timezone.now()) - KEEP_READ
    return Notice.unscoped.filter(read_at__lt=cutoff).delete()[0]


def unread() -> int:
    """The unread notices of the current scope (their partial index)."""
    return Notice.objects.filter(read_at__isnull=True).count()


@transaction.atomic
def mark_read(actor: Actor, notices: Iterable[Notice]) -> int:
    """Mark the notices read by the actor, all in one go, one audit entry naming them (the
    ones already read stay as their first reader left them)."""
    require(actor.user, Right.EDIT_MEMBERS)
    pks = sorted({n.pk for n in notices})
    if not pks:
        raise ValidationError(_("Tick at least one notice."))
    fresh = Notice.unscoped.filter(pk__in=pks, read_at__isnull=True)
    named = list(fresh.select_related("record__member").order_by("pk"))
    count = fresh.update(read_at=timezone.now(), read_by=actor.user)
    record(
        actor,
        "notice.read",
        detail={
            "notices": [
                {"id": n.pk, "kind": n.kind, "member": n.record.member.name} for n in named
            ],
            "count": count,
        },
    )
    return count
