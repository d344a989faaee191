"""The to-do list (待办) of the desk and the counts on the menu: what waits for this user,
counted by heli.reports.desk from the records in their scope, each item linking to the list
that shows exactly those rows."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.members.import_models import ImportJob, JobStatus
from heli.reports import desk

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
        found.append(
            Todo("transfers", _("Transfers waiting for my approval or acceptance"),
                 desk.transfers_awaiting(user),
                 reverse("control:transfer_list") + "?mine=1", "transfer", urgent=True)
        )  # fmt: skip
    if user.can(Right.EDIT_MEMBERS):
        found.append(
            Todo("pending", _("Check-ins to confirm"), desk.pending_check_ins(),
                 reverse("control:check_in_list"), "check", urgent=True)
        )  # fmt: skip
        found.append(
            Todo("self_reported", _("Self-reported check-ins to confirm"),
                 desk.self_reports_at_home(),
                 reverse("control:check_in_history") + "?status=self_reported&home=1", "check")
        )  # fmt: skip
        found += _task_items(user)
        found.append(
            Todo("letters_due", _("Members due a reminder letter"),
                 desk.letters_due(), reverse("control:letter_due"), "letter")
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
        found.append(
            Todo("letters_overdue", _("Reminder letters with the reply overdue"),
                 desk.letters_overdue(),
                 reverse("control:letter_list") + "?overdue=1", "letter", urgent=True)
        )  # fmt: skip
        found.append(
            Todo("notices", _("Unread notices: contact, letters due, replies overdue"),
                 desk.unread_notices(), reverse("control:notice_list"), "floating",
                 urgent=True)
        )  # fmt: skip
        found.append(
            Todo("newly_lost", _("Members who lost contact in the last 7 days"),
                 desk.newly_lost(),
                 reverse("control:floating_lost") + "?new=1", "floating", urgent=True)
        )  # fmt: skip
    return [item for item in found if item.count]


def _task_items(user) -> list[Todo]:
    """My pending sweep tasks, and for those who hand tasks out, the unassigned ones: per open
    campaign, since each campaign has its own task list (one grouped query each)."""
    items = _per_campaign(
        desk.open_tasks_per_campaign(assignee=user), "tasks", _("My sweep tasks: %(campaign)s"),
        "mine=1&outcome=pending",
    )  # fmt: skip
    if user.can(Right.OPEN_CAMPAIGNS):
        items += _per_campaign(
            desk.open_tasks_per_campaign(unassigned=True), "unassigned",
            _("Sweep tasks nobody has yet: %(campaign)s"), "unassigned=1",
        )  # fmt: skip
    return items


def _per_campaign(counted: list[dict], key: str, label: str, query: str) -> list[Todo]:
    """One item per campaign counted, linking to its task list."""
    return [
        Todo(f"{key}-{row['campaign_id']}", label % {"campaign": row["campaign__name"]}, row["n"],
             reverse("control:campaign_tasks", kwargs={"pk": row["campaign_id"]}) + f"?{query}",
             "campaign")
        for row in counted
    ]  # fmt: skip


def kept_todos(request: HttpRequest) -> list[Todo]:
    """The user's to-do items, kept in the session for BADGE_SECONDS with the menu counts
    made of them (dropped sooner by any POST: FreshBadgesMiddleware), so that the desk and
    every page's menu count them once a minute at most, and always after the user's change."""
    session = request.session
    kept = session.get(SESSION_KEY)
    now = time.time()
    if kept and now - kept["at"] < BADGE_SECONDS and "items" in kept:
        return [Todo(**item) for item in kept["items"]]
    items = todos(request.user)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.section] = counts.get(item.section, 0) + item.count
    session[SESSION_KEY] = {"at": now, "counts": counts, "items": [asdict(i) for i in items]}
    return items


def badges(request: HttpRequest) -> dict[str, int]:
    """{menu section: count} for the menu (see kept_todos)."""
    kept_todos(request)
    return request.session[SESSION_KEY]["counts"]


class FreshBadgesMiddleware:
    """Any POST may change what waits for the user: the menu counts kept in the session are
    dropped, so the page after it counts again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and hasattr(request, "session"):
            request.session.pop(SESSION_KEY, None)
        return self.get_response(request)
