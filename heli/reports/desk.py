"""What waits for a user on the desk (待办), counted from the records in their scope: the same
scoped querysets the lists behind each item use, so a count and its list always agree."""

from __future__ import annotations

from django.db.models import Count

from heli.campaigns.models import CampaignStatus, CampaignTask, Outcome
from heli.core.scoping import current_scope
from heli.letters import services as letters
from heli.letters.models import ReminderLetter
from heli.mobility import clock, notices
from heli.mobility.models import (
    CheckIn,
    CheckInStatus,
    FloatingRecord,
    PendingCheckIn,
    PendingStatus,
)
from heli.transfers import rules
from heli.transfers.models import Transfer


def transfers_awaiting(user) -> int:
    return len(rules.awaiting(user, Transfer.objects.all()))


def pending_check_ins() -> int:
    return PendingCheckIn.objects.filter(status=PendingStatus.PENDING).count()


def self_reports_at_home() -> int:
    """Self-reports of members at home here, wherever they scanned (mobility.self_reports)."""
    # The self-reports first (their partial index), then the scope: SQLite would otherwise
    # read every check-in in the scope.
    waiting = CheckIn.unscoped.filter(status=CheckInStatus.SELF_REPORTED).values("pk")
    reported = CheckIn.objects.filter(pk__in=waiting)
    return reported.filter(CheckIn.home_q(current_scope())).count()


def letters_due() -> int:
    return letters.due_records().count()


def letters_overdue() -> int:
    return ReminderLetter.objects.filter(letters.overdue_q()).count()


def newly_lost() -> int:
    return FloatingRecord.objects.filter(clock.newly_lost_q()).count()


def unread_notices() -> int:
    """The daily tasks' notices to this scope's organizations not read yet (a partial index)."""
    return notices.unread()


def open_tasks_per_campaign(*, assignee=None, unassigned: bool = False) -> list[dict]:
    """[{campaign_id, campaign__name, n}] of the pending tasks of open campaigns, assigned to
    `assignee` or to nobody (one grouped query)."""
    tasks = CampaignTask.objects.filter(
        campaign__status=CampaignStatus.OPEN, outcome=Outcome.PENDING
    )
    tasks = tasks.filter(assignee__isnull=True) if unassigned else tasks.filter(assignee=assignee)
    return list(
        tasks.values("campaign_id", "campaign__name")
        .annotate(n=Count("pk"))
        .order_by("campaign_id")
    )
