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

from django.db.models import Aggregate, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from heli.campaigns.models import CampaignStatus, CampaignTask
from heli.core.scoping import current_scope
from heli.core.tree import STEP_WIDTH, measures_by_prefix
from heli.letters.models import LetterStatus, ReminderLetter
from heli.members.choices import FloatingDirection
from heli.mobility import clock
from heli.mobility.models import CheckIn, CheckInStatus, FloatingRecord, RecordStatus
from heli.orgs.models import TOWN_LEVEL, Region
from heli.reports import campaigns as campaign_stats
from heli.reports import ledgers, tallies
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


def _counted(today: dt.date) -> list[tuple[QuerySet, str, dict[str, Aggregate]]]:
    """The figures not kept by a tally: what each counts, the path of the grid its rows belong
    to (for the report's rows per town) and its measures."""
    # Self-reported check-ins count (they are check-ins); one rejected as not the member does
    # not: nobody who belongs there checked in.
    checked_in = CheckIn.unscoped.exclude(status=CheckInStatus.REJECTED)
    used = Exists(checked_in.filter(station=OuterRef("pk")))
    # Letters sent and overdue in one pass over the scope's letters (filtered counts).
    letters = {
        "letters_sent": Count("id", filter=Q(sent_on__isnull=False)),
        "letters_overdue": Count(
            "id", filter=Q(status=LetterStatus.SENT, expected_reply_on__lt=today)
        ),
    }
    return [
        (Station.objects.filter(used), "grid__path", {"check_in_points": Count("pk")}),
        (ReminderLetter.objects.all(), "record__grid__path", letters),
        (FloatingRecord.objects.filter(clock.lost_q(today)), "grid__path", {"lost": Count("pk")}),
    ]


def _figures(counted: dict[str, int], joined: int) -> Figures:
    """The figures from the counts above and the joined branch's tally, with the floating
    members as the ledger counts them (the member records) and the sweep's progress."""
    share = ledgers.floating_share()
    result = Figures(
        members=share.members,
        floating=share.floating,
        outflow=share.outflow,
        inflow=share.inflow,
        joined=joined,
        **counted,
    )
    result.sweep_done, result.sweep_total = campaign_stats.progress(
        CampaignTask.objects.filter(campaign__status=CampaignStatus.OPEN)
    )
    return result


def figures(today: dt.date | None = None) -> Figures:
    """The zone's (or the scope's) figures, for the dashboard."""
    today = today or timezone.localdate()
    counted: dict[str, int] = {}
    for queryset, _path, measures in _counted(today):
        counted.update(queryset.aggregate(**measures))
    return _figures(counted, tallies.total(_tallies().filter(TALLIED["joined"])))


def report_figures(today: dt.date | None = None) -> Figures:
    """The figures and, for the report, a row of them per town or street.

    Each figure is read once, grouped by the town its rows' grid lies in (rows with no grid or
    none under a town in a group of their own), so that the totals are the sums of the groups:
    one grouped query per figure rather than a total and a grouped count."""
    today = today or timezone.localdate()
    towns = list(Region.objects.filter(kind__in=TOWN_LEVEL).order_by("path"))
    # Towns and streets sit at one depth in a zone; a tree with them at several is grouped once
    # per depth (the totals from the first).
    lengths = sorted({len(town.path) for town in towns}) or [STEP_WIDTH]
    tallied = {key: Sum("n", filter=q) for key, q in TALLIED.items()}
    parts = [*_counted(today), (_tallies(), "grid__path", tallied)]
    groups: dict[int, dict[str | None, dict[str, int]]] = {}
    for length in lengths:
        groups[length] = {}
        for queryset, path, measures in parts:
            for prefix, values in measures_by_prefix(queryset, path, length, measures).items():
                groups[length].setdefault(prefix, {}).update(values)
    totals: dict[str, int] = {}
    for values in groups[lengths[0]].values():
        for name, value in values.items():
            totals[name] = totals.get(name, 0) + value
    names = [name for _q, _p, measures in _counted(today) for name in measures]
    result = _figures({name: totals.get(name, 0) for name in names}, totals.get("joined", 0))
    result.towns = [
        {
            "town": town,
            **{key: groups[len(town.path)].get(town.path, {}).get(key, 0) for key in KEYS},
        }
        for town in towns
    ]
    rest = {key: getattr(result, key) - sum(row[key] for row in result.towns) for key in KEYS}
    result.rest = rest if any(rest.values()) else None
    return result
