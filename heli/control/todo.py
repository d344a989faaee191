"""The to-do list (待办) of the desk and the counts on the menu: what waits for this user, counted
from the records in their scope, each item linking to the list that shows exactly those rows."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.campaigns.models import CampaignStatus, CampaignTask, Outcome
from heli.core.scoping import current_scope
from heli.letters import services as letters
from heli.letters.models import ReminderLetter
from heli.members.import_models import ImportJob, JobStatus
from heli.mobility import clock
from heli.mobility.models import (
    CheckIn,
    CheckInStatus,
    FloatingRecord,
    PendingCheckIn,
    PendingStatus,
)
from heli.transfers import rules
from heli.transfers.models import Transfer

# Menu counts are kept in the session this long (seconds) and dropped after any change.
BADGE_SECONDS = 60
SESSION_KEY = "heli_badges"


@dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str
    section: str  # the menu entry that carries the count
    urgent: bool = False


def todos(user) -> list[Todo]:
    """Everything waiting for the user, in the order a worker takes it (empty items left out).
    Only work the user can act on: read-only roles (liaison, auditor) have no to-do items."""
    found: list[Todo] = []
    if user.can(Right.APPROVE_TRANSFERS):
        waiting = len(rules.awaiting(user, Transfer.objects.all()))
        found.append(
            Todo("transfers", _("Transfers waiting for my approval or acceptance"), waiting,
                 reverse("control:transfer_list") + "?mine=1", "transfer", urgent=True)
        )  # fmt: skip
    if user.can(Right.EDIT_MEMBERS):
        pending = PendingCheckIn.objects.filter(status=PendingStatus.PENDING).count()
        found.append(
            Todo("pending", _("Check-ins to confirm"), pending,
                 reverse("control:check_in_list"), "check", urgent=True)
        )  # fmt: skip
        # Self-reports of members at home here, wherever they scanned (mobility.self_reports).
        reported = CheckIn.objects.filter(CheckIn.home_q(current_scope()))
        found.append(
            Todo("self_reported", _("Self-reported check-ins to confirm"),
                 reported.filter(status=CheckInStatus.SELF_REPORTED).count(),
                 reverse("control:check_in_history") + "?status=self_reported&home=1", "check")
        )  # fmt: skip
        found += _task_items(user)
        found.append(
            Todo("letters_due", _("Members due a reminder letter"),
                 letters.due_records().count(), reverse("control:letter_due"), "letter")
        )  # fmt: skip
        waiting = (JobStatus.CHECKED, JobStatus.NEEDS_SETUP)
        imports = ImportJob.objects.filter(created_by=user, status__in=waiting)
        for job in imports.order_by("-created_at")[:3]:
            if job.status == JobStatus.NEEDS_SETUP:
                label, count = _("Import waiting for your column choices: %(file)s"), 1
            else:
                label, count = _("Import waiting for confirmation: %(file)s"), job.total_rows
            found.append(
                Todo(f"import-{job.pk}", label % {"file": job.filename}, count,
                     reverse("control:member_import_job", kwargs={"pk": job.pk}), "member")
            )  # fmt: skip
        overdue = ReminderLetter.objects.filter(letters.overdue_q()).count()
        found.append(
            Todo("letters_overdue", _("Reminder letters with the reply overdue"), overdue,
                 reverse("control:letter_list") + "?overdue=1", "letter", urgent=True)
        )  # fmt: skip
        newly_lost = FloatingRecord.objects.filter(clock.newly_lost_q()).count()
        found.append(
            Todo("newly_lost", _("Members who lost contact in the last 7 days"), newly_lost,
                 reverse("control:floating_lost") + "?new=1", "floating", urgent=True)
        )  # fmt: skip
    return [item for item in found if item.count]


def _task_items(user) -> list[Todo]:
    """My pending sweep tasks, and for those who hand tasks out, the unassigned ones: per open
    campaign, since each campaign has its own task list (one grouped query each)."""
    open_tasks = CampaignTask.objects.filter(
        campaign__status=CampaignStatus.OPEN, outcome=Outcome.PENDING
    )
    items = _per_campaign(
        open_tasks.filter(assignee=user), "tasks", _("My sweep tasks: %(campaign)s"),
        "mine=1&outcome=pending",
    )  # fmt: skip
    if user.can(Right.OPEN_CAMPAIGNS):
        items += _per_campaign(
            open_tasks.filter(assignee__isnull=True), "unassigned",
            _("Sweep tasks nobody has yet: %(campaign)s"), "unassigned=1",
        )  # fmt: skip
    return items


def _per_campaign(tasks, key: str, label: str, query: str) -> list[Todo]:
    """One item per campaign of `tasks` (one grouped query), linking to its task list."""
    counted = (
        tasks.values("campaign_id", "campaign__name")
        .annotate(n=Count("pk"))
        .order_by("campaign_id")
    )
    return [
        Todo(f"{key}-{row['campaign_id']}", label % {"campaign": row["campaign__name"]}, row["n"],
             reverse("control:campaign_tasks", kwargs={"pk": row["campaign_id"]}) + f"?{query}",
             "campaign")
        for row in counted.order_by("campaign_id")
    ]  # fmt: skip


def badges(request: HttpRequest) -> dict[str, int]:
    """{menu section: count} for the menu, kept in the session for BADGE_SECONDS (see
    FreshBadgesMiddleware for when they are dropped sooner)."""
    session = request.session
    kept = session.get(SESSION_KEY)
    now = time.time()
    if kept and now - kept["at"] < BADGE_SECONDS:
        return kept["counts"]
    counts: dict[str, int] = {}
    for item in todos(request.user):
        counts[item.section] = counts.get(item.section, 0) + item.count
    session[SESSION_KEY] = {"at": now, "counts": counts}
    return counts


class FreshBadgesMiddleware:
    """Any POST may change what waits for the user: the menu counts kept in the session are
    dropped, so the page after it counts again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and hasattr(request, "session"):
            request.session.pop(SESSION_KEY, None)
        return self.get_response(request)
