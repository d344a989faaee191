"""The figures of floating-member work, counted inside the current scope: for the dashboard
and the downloadable report (the article's 581 / 3.4% / 337 / 149 / 432).

Floating members come from the member tallies, floating records by status and direction (and
joined branch) from the floating tallies (heli.reports.tallies: kept by triggers, exact, a sum
of a few hundred rows); what depends on the day (lost contact) is one count through the
(status, last contact) index; stations, letters and tasks are counted as they are. Per-town
figures are one grouped query each (by the path of the grid the record, station or letter
belongs to).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from heli.campaigns.models import CampaignStatus, CampaignTask
from heli.core.scoping import current_scope
from heli.letters.models import LetterStatus, ReminderLetter
from heli.members.choices import FloatingDirection
from heli.mobility import clock
from heli.mobility.models import CheckIn, CheckInStatus, FloatingRecord, RecordStatus
from heli.orgs.models import TOWN_LEVEL, Region
from heli.reports import campaigns as campaign_stats
from heli.reports import ledgers, tallies
from heli.reports.structure import measures_per_town, per_town
from heli.stations.models import Station

# The figures a row of the report has, in the order of the report's columns.
KEYS = ("floating", "outflow", "inflow", "check_in_points", "letters_sent", "joined", "lost")


@dataclass
class Figures:
    members: int = 0
    floating: int = 0
    outflow: int = 0
    inflow: int = 0
    check_in_points: int = 0
    letters_sent: int = 0
    letters_overdue: int = 0
    joined: int = 0
    lost: int = 0
    sweep_done: int = 0
    sweep_total: int = 0
    towns: list[dict] = field(default_factory=list)
    # What the towns' rows leave out of the totals (a record with no grid, say), so that the
    # report's rows add up to its totals; None when they already do.
    rest: dict | None = None

    @property
    def share_percent(self) -> float:
        return round(self.floating * 100 / self.members, 1) if self.members else 0.0

    @property
    def sweep_percent(self) -> int:
        return campaign_stats.percent(self.sweep_done, self.sweep_total)


def _active_records():
    return FloatingRecord.objects.filter(status=RecordStatus.ACTIVE)


ACTIVE = Q(status=RecordStatus.ACTIVE)
# What each figure kept by the floating tallies counts (over the tally's fields).
TALLIED = {
    "floating": ACTIVE,
    "outflow": ACTIVE & Q(direction=FloatingDirection.OUT),
    "inflow": ACTIVE & Q(direction=FloatingDirection.IN),
    "joined": ACTIVE & Q(direction=FloatingDirection.IN, joined_org__isnull=False),
}


def _tallies() -> QuerySet:
    return tallies.floating_in_scope(current_scope())


def _querysets(today: dt.date) -> dict:
    """What each per-place figure not kept by a tally counts, and the path of the grid it
    belongs to."""
    # Self-reported check-ins count (they are check-ins); one rejected as not the member does
    # not: nobody who belongs there checked in.
    checked_in = CheckIn.unscoped.exclude(status=CheckInStatus.REJECTED)
    used = Exists(checked_in.filter(station=OuterRef("pk")))
    return {
        "check_in_points": (Station.objects.filter(used), "grid__path"),
        "letters_sent": (
            ReminderLetter.objects.filter(sent_on__isnull=False),
            "record__grid__path",
        ),
        "lost": (FloatingRecord.objects.filter(clock.lost_q(today)), "grid__path"),
    }


def figures(today: dt.date | None = None) -> Figures:
    """The zone's (or the scope's) figures, for the dashboard."""
    today = today or timezone.localdate()
    share = ledgers.floating_share()
    # Floating members as the ledger counts them (the member records), the rest from the
    # floating tallies, letters, stations and tasks.
    querysets = _querysets(today)
    counted = {key: q.count() for key, (q, _path) in querysets.items() if key != "letters_sent"}
    # Letters sent and overdue in one pass over the scope's letters (filtered counts).
    letters_counted = ReminderLetter.objects.aggregate(
        sent=Count("id", filter=Q(sent_on__isnull=False)),
        overdue=Count("id", filter=Q(status=LetterStatus.SENT, expected_reply_on__lt=today)),
    )
    counted["letters_sent"] = letters_counted["sent"]
    result = Figures(
        members=share.members,
        floating=share.floating,
        outflow=share.outflow,
        inflow=share.inflow,
        joined=tallies.total(_tallies().filter(TALLIED["joined"])),
        **counted,
    )
    result.letters_overdue = letters_counted["overdue"]
    result.sweep_done, result.sweep_total = campaign_stats.progress(
        CampaignTask.objects.filter(campaign__status=CampaignStatus.OPEN)
    )
    return result


def report_figures(today: dt.date | None = None) -> Figures:
    """The figures and, for the report, a row of them per town or street."""
    today = today or timezone.localdate()
    result = figures(today)
    towns = list(Region.objects.filter(kind__in=TOWN_LEVEL).order_by("path"))
    counts = {
        key: per_town(queryset, path, towns) for key, (queryset, path) in _querysets(today).items()
    }
    # The tallied figures in one grouped sum of the tallies, a filtered sum each.
    tallied = {key: Sum("n", filter=q) for key, q in TALLIED.items()}
    counts.update(measures_per_town(_tallies(), "grid__path", towns, tallied))
    result.towns = [
        {"town": town, **{key: counts[key].get(town.path, 0) for key in counts}} for town in towns
    ]
    rest = {key: getattr(result, key) - sum(row[key] for row in result.towns) for key in KEYS}
    result.rest = rest if any(rest.values()) else None
    return result
