"""Lists of floating-member work: floating records with their lost-contact clock, the
lost-contact list of a place (失联名单), and the members due a reminder letter."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from heli.accounts.roles import Right
from heli.control.lists.columns import column, date_column, detail_link, text_column
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, FlagFilter, TreeFilter
from heli.control.lists.page import BatchAction, ListPage, Search
from heli.control.member_lists import COUNT_LIMIT
from heli.control.views.common import breadcrumbs, region_scope_path, visible_roots
from heli.core.exporters import Exporter
from heli.core.scoping import Scope, current_scope
from heli.core.tree import measures_by_child
from heli.letters import services as letters
from heli.members.choices import FloatingDirection
from heli.mobility import clock, nearby
from heli.mobility.exporters import FloatingExporter
from heli.mobility.models import FloatingRecord, RecordStatus
from heli.orgs.models import PartyOrg, Region
from heli.reports import tallies

SERIOUS = (clock.ContactState.WARNING, clock.ContactState.LOST, clock.ContactState.LAPSE)


def with_clock(records: list[FloatingRecord]) -> list[FloatingRecord]:
    """Each record with its days without contact and its contact state (computed, not kept)."""
    today = timezone.localdate()
    for record in records:
        record.days = clock.days_without_contact(record, today)
        record.state = clock.state_of(record, today)
    return records


def _state_cell(record: FloatingRecord):
    if record.status != RecordStatus.ACTIVE:
        return record.get_status_display()
    title = ngettext(
        "%(days)d day without contact", "%(days)d days without contact", record.days
    ) % {"days": record.days}
    return format_html(
        '<span class="state state-{}" title="{}">{}</span>', record.state, title, record.state.label
    )


def _contact_state_q(value: str) -> Q:
    return clock.state_q(clock.ContactState(value))


def _records() -> QuerySet:
    records = FloatingRecord.objects.select_related(
        "member__org", "outflow_org", "inflow_org", "industry_chain", "grid", "joined_org"
    )
    ids = narrow_record_ids(current_scope())
    return records if ids is None else records.filter(pk__in=ids)


# A scope of at most this many floating records (a village, a grid, a branch, a town) is read
# through their ids: the lists would otherwise walk the zone's (status, since) index, checking
# each record's five paths, until a page of the few of theirs (a grid read 34,000, 80 ms).
NARROW_RECORDS = 5_000


def narrow_record_ids(scope: Scope) -> set[int] | None:
    """The ids of every floating record `scope` sees (FloatingRecord.scope_q's five paths,
    each by its own index), or None when the scope is broad (the floating tallies say)."""
    if tallies.total(tallies.floating_in_scope(scope)) > NARROW_RECORDS:
        return None
    orgs = PartyOrg.unscoped.filter(scope.org_q("path")).values("pk")
    regions = Region.unscoped.filter(scope.region_q("path")).values("pk")
    # A UNION, each path planned alone: joined with OR, SQLite scans the records (the bench
    # zone's chains and joined branches are empty, so its statistics call those indexes useless).
    paths = [Q(grid__in=regions), *(Q(**{f"{f}__in": orgs}) for f in tallies.FLOATING_ORGS)]
    first, *others = (
        FloatingRecord.unscoped.filter(q).order_by().values_list("pk", flat=True) for q in paths
    )
    return set(first.union(*others))


RECORD_LINK = detail_link("control:floating_detail")
PLACE = TreeFilter("region", _("Area"), Region, ("grid__path",))
ORGANIZATION = TreeFilter(
    "org",
    _("Party organization"),
    PartyOrg,
    ("outflow_org__path", "inflow_org__path", "joined_org__path"),
    tree="orgs",
)
DIRECTION = ChoiceFilter("direction", _("Direction"), FloatingDirection.choices, field="direction")
MEMBER_SEARCH = Search(
    _("Name, pinyin initials, place, or ID number / phone"), "member", ("place",)
)


@exportable
class FloatingList(ListPage):
    key = "floating"
    testid = "floating"
    title = _("Floating members")
    columns = (
        column("member", _("Member"), "member.name", sort="member__name", link=RECORD_LINK),
        column("direction", _("Direction"), "get_direction_display", sort="direction"),
        text_column("place", _("Place"), "place"),
        date_column("since", _("Since"), "since"),
        column("document", _("Document"), "get_document_display"),
        column("last_contact", _("Last contact"), lambda r: clock.last_contact_day(r),
               sort=("last_contact_at", "since"), css="nowrap"),
        column("state", _("Contact state"), lambda r: r.state.label if r.status == "active"
               else r.get_status_display(), html=_state_cell),
        column("joined", _("Joined branch"), "joined_org.name", sort="joined_org__name"),
    )  # fmt: skip
    filters = (
        PLACE,
        ORGANIZATION,
        DIRECTION,
        ChoiceFilter("status", _("Status"), RecordStatus.choices, field="status",
                     default=RecordStatus.ACTIVE),
        ChoiceFilter("state", _("Contact state"),
                     [(s.value, s.label) for s in clock.ContactState], query=_contact_state_q),
        FlagFilter("joined", _("Inflow, not yet in a branch"), nearby.awaiting_branch_q),
    )  # fmt: skip
    search = MEMBER_SEARCH
    default_sort = "since"
    template = "control/floating_list.html"
    empty_text = _("No floating members yet: register one from a member's page.")
    export_action = "floating.export"

    count_limit = COUNT_LIMIT  # floating records grow with the members

    def base_queryset(self) -> QuerySet:
        return _records()

    def known_total(self) -> int | None:
        """Filtered by status and direction alone: the floating tallies' sum, no count."""
        if self.term or self.find or set(self.values) - {"status", "direction"}:
            return None
        kept = {k: v for k, v in self.values.items() if k in ("status", "direction")}
        return tallies.total(tallies.floating_in_scope(current_scope()).filter(**kept))

    def decorate(self, rows) -> list[Any]:
        return with_clock(list(rows))

    def exporter(self, rows: QuerySet, *, unmasked: bool) -> Exporter:
        return FloatingExporter(rows, today=timezone.localdate())


ISSUE_LETTERS = BatchAction(
    "control:letter_issue",
    _("Issue reminder letters"),
    Right.EDIT_MEMBERS,
    _(
        "Issue a reminder letter to each of the %(count)s ticked members? They are numbered "
        "and dated today; then download them as one Word file or a zip."
    ),
)


def empty_text(state: str | None) -> str:
    """What an empty tab of the lost-contact list has none of, with its days (each tab its
    own words: a warning is not yet lost contact, and the first tab holds lost and lapse)."""
    days = {s.value: clock.threshold(s) for s in SERIOUS}
    if state == clock.ContactState.WARNING:
        return _(
            "Nobody here is in the contact-warning stage (%(low)d to %(high)d days without "
            "contact)."
        ) % {"low": days["warning"], "high": days["lost"] - 1}
    if state == clock.ContactState.LOST:
        return _("Nobody here has been without contact for %(low)d to %(high)d days.") % {
            "low": days["lost"],
            "high": days["lapse"] - 1,
        }
    if state == clock.ContactState.LAPSE:
        return _("Nobody here is close to six months without contact (%(days)d days or more).") % {
            "days": days["lapse"]
        }
    return _("Nobody here has lost contact (%(days)d days or more without contact).") % {
        "days": days["lost"]
    }


@exportable
class LostList(ListPage):
    """失联名单: records that lost contact (or, by tab, in the warning period or near six months),
    under a place, most silent first.
    The tabs are the contact states; the place is the `region` filter (the user's own area
    when none is chosen)."""

    key = "lost"
    testid = "lost"
    title = _("Lost contact")
    columns = (
        column("member", _("Member"), "member.name", sort="member__name", link=RECORD_LINK),
        column("direction", _("Direction"), "get_direction_display", sort="direction"),
        text_column("place", _("Place"), "place"),
        column("grid", _("Grid"), "grid.name", sort="grid__path"),
        column("last_contact", _("Last contact"), lambda r: clock.last_contact_day(r),
               sort=("last_contact_at", "since"), css="nowrap"),
        column("days", _("Days"), "days", css="text-end"),
        column("state", _("Contact state"), lambda r: r.state.label, html=_state_cell),
    )  # fmt: skip
    filters = (
        PLACE,
        ORGANIZATION,
        DIRECTION,
        ChoiceFilter("state", _("Contact state"), [(s.value, s.label) for s in SERIOUS],
                     query=_contact_state_q),
        FlagFilter("new", _("Lost contact in the last 7 days"), clock.newly_lost_q),
    )  # fmt: skip
    search = MEMBER_SEARCH
    default_sort = "last_contact"
    template = "control/floating_lost.html"
    actions = (ISSUE_LETTERS,)
    export_action = "floating.export"

    @property
    def place(self) -> Region | None:
        if "region" in self.values:
            return self.values["region"]
        roots = visible_roots(Region, region_scope_path())
        return roots[0] if roots else None

    count_limit = COUNT_LIMIT  # floating records grow with the members

    def base_queryset(self) -> QuerySet:
        silent = _records()
        if "state" not in self.values:  # the first tab: lost contact, the lapse-flagged included
            silent = silent.filter(clock.lost_q())
        # Without a chosen place the list holds every record the user sees (as the desk counts
        # them), also those whose grid lies outside the user's area (an outflow member of one
        # of their branches living elsewhere).
        return silent

    def decorate(self, rows) -> list[Any]:
        return with_clock(list(rows))

    def empty_message(self) -> str:
        """Each tab says what it found none of (a warning is not yet lost contact)."""
        state = self.values.get("state")
        others = {k: v for k, v in self.values.items() if k not in ("state", "region")}
        if others or self.term or self.find:
            return super().empty_message()
        return str(empty_text(state))

    def extra_context(self) -> dict[str, Any]:
        place = self.place
        rows = self._per_child(place) if place is not None else []
        return {
            "place": place,
            # Only the ancestors the user may open: a grid worker's trail starts at their grid.
            "crumbs": breadcrumbs(place, region_scope_path()) if place is not None else [],
            "children": rows,
            "chart": {
                "names": [r["region"].name for r in rows],
                "series": [
                    {"key": s.value, "name": s.label, "data": [r[s.value] for r in rows]}
                    for s in SERIOUS
                ],
            },
            "state": self.values.get("state", ""),
            "states": [(s.value, s.label) for s in SERIOUS],
            "thresholds": {s.value: clock.threshold(s) for s in SERIOUS},
        }

    def _per_child(self, place: Region) -> list[dict]:
        """Warning, lost and near-six-months counts for each child of the place: one grouped
        query over the records silent long enough for any of them, a filtered count per
        state (a query per state read them three times)."""
        children = list(place.children.order_by("path"))
        silent = FloatingRecord.objects.filter(clock.silent_for_q(clock.threshold(SERIOUS[0])))
        counts = measures_by_child(
            silent,
            "grid__path",
            place.path,
            {s.value: Count("pk", filter=clock.state_q(s)) for s in SERIOUS},
        )
        rows = [
            {"region": child, **{s.value: counts.get(child.path, {}).get(s.value, 0)
                                 for s in SERIOUS}}
            for child in children
        ]  # fmt: skip
        return [r for r in rows if any(r[s.value] for s in SERIOUS)]


@exportable
class DueList(ListPage):
    """The members due a reminder letter (away long enough, not confirmed by the inflow side,
    no open letter), that the user's organizations may write for."""

    key = "due"
    testid = "due"
    title = _("Members due a reminder letter")
    columns = (
        column("member", _("Member"), "member.name", sort="member__name", link=RECORD_LINK),
        column("org", _("Outflow organization"), "outflow_org.name", sort="outflow_org__path"),
        text_column("place", _("Went to"), "place"),
        date_column("since", _("Left on"), "since"),
        column("days", _("Days away"), "days_away", css="text-end"),
    )
    filters = (PLACE, ORGANIZATION)
    search = MEMBER_SEARCH
    default_sort = "since"
    template = "control/letter_due.html"
    actions = (ISSUE_LETTERS,)
    empty_text = _(
        "No member is due a letter: every outflow member away long enough has been confirmed "
        "or already has a letter."
    )
    export_action = "letter.due_export"

    def base_queryset(self) -> QuerySet:
        return letters.due_records().select_related("member", "outflow_org", "grid")

    def extra_context(self) -> dict[str, Any]:
        return {"days": letters.due_after_days()}

    def decorate(self, rows) -> list[Any]:
        today = timezone.localdate()
        rows = list(rows)
        for record in rows:
            record.days_away = (today - record.since).days
        return rows
