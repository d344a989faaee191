"""Lists of the daily work: reminder letters, check-ins (pending ones to decide, and the whole
history), and relationship transfers."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from heli.accounts.roles import Right
from heli.control import badges
from heli.control.lists.columns import column, date_column, detail_link
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, FlagFilter, TreeFilter, YearFilter
from heli.control.lists.page import BatchAction, ListPage, Search
from heli.control.member_lists import COUNT_LIMIT, NARROW_MEMBERS
from heli.core.params import to_ids
from heli.core.scoping import Scope, current_scope
from heli.letters import services as letters
from heli.letters.models import LetterStatus, ReminderLetter
from heli.members.models import Member
from heli.mobility.models import (
    CheckIn,
    CheckInSource,
    CheckInStatus,
    PendingCheckIn,
    PendingStatus,
)
from heli.orgs.models import PartyOrg, Region
from heli.reports import tallies
from heli.transfers import rules
from heli.transfers.models import OPEN_STATUSES, Transfer, TransferStatus

UNDER_WAY = "open"
MAX_BATCH = 500


def parse_ids(raw: str | list[str]) -> list[int]:
    """Ids from "1,2,3" or a list of strings; junk and oversized numbers are dropped."""
    return to_ids(raw.split(",") if isinstance(raw, str) else raw)[:MAX_BATCH]


def _letter_status(letter: ReminderLetter):
    return badges.letter_status(letter)


def _overdue_q() -> Q:
    return letters.overdue_q()


@exportable
class LetterList(ListPage):
    key = "letters"
    testid = "letter"
    title = _("Reminder letters")
    columns = (
        column("number", _("Reminder letter number"), "number", sort=("issuing_org__path",
               "year", "serial"), link=detail_link("control:letter_detail")),
        column("member", _("Member"), "member.name", sort="member__name"),
        column("addressee", _("Addressee"), "addressee"),
        date_column("issued_on", _("Dated"), "issued_on"),
        date_column("sent_on", _("Sent on"), "sent_on"),
        date_column("reply", _("Reply expected by"), "expected_reply_on"),
        column("reminders", _("Reminders"), "reminder_count", sort="reminder_count",
               css="text-end"),
        column("status", _("Status"), "get_status_display", sort="status",
               html=_letter_status),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("record__grid__path",)),
        TreeFilter("org", _("Issuing organization"), PartyOrg, ("issuing_org__path",),
                   tree="orgs"),
        ChoiceFilter("status", _("Status"), LetterStatus.choices, field="status"),
        YearFilter("year", _("Year"), "issued_on"),
        FlagFilter("overdue", _("Reply overdue only"), _overdue_q),
    )  # fmt: skip
    search = Search(
        _("Member name, pinyin initials, or letter number"), "member", ("number", "addressee")
    )
    default_sort = "-issued_on"
    template = "control/letter_list.html"
    actions = (
        BatchAction(
            "control:letter_batch_download",
            _("Download the ticked letters"),
            Right.VIEW,
            _("Download the %(count)s ticked letters?"),
            fields="control/includes/batch_letter_format.html",
        ),
        BatchAction(
            "control:letter_batch_remind",
            _("Record a reminder"),
            Right.EDIT_MEMBERS,
            _(
                "Record a reminder for each of the %(count)s ticked letters? Only letters sent "
                "and awaiting a reply can be reminded; the reply date moves on."
            ),
        ),
    )
    empty_text = _(
        "No reminder letters yet. Members away without reporting appear on the list of members "
        "due a letter."
    )
    export_action = "letter.export"
    extra_state_keys = ("ids",)

    @property
    def batch(self) -> list[int]:
        """The letters just issued (`?ids=`), shown with their download."""
        return parse_ids(self._get("ids"))

    count_limit = COUNT_LIMIT  # letters grow with the floating members, year after year

    def base_queryset(self) -> QuerySet:
        letters_ = ReminderLetter.objects.select_related("member", "issuing_org", "record")
        return letters_.filter(pk__in=self.batch) if self.batch else letters_

    def extra_context(self) -> dict[str, Any]:
        # One pass over the scope's letters: a filtered count per status and the overdue ones
        # (a grouped count and a count read them twice, each through the scope's joins).
        counted = {value: Count("id", filter=Q(status=value)) for value in LetterStatus.values}
        counts = ReminderLetter.objects.aggregate(
            **counted, _overdue=Count("id", filter=letters.overdue_q())
        )
        return {
            "counts": {value: counts[value] for value in LetterStatus.values},
            "overdue_count": counts["_overdue"],
            "due_count": letters.due_records().count(),
            "batch": ",".join(map(str, self.batch)),
        }


def _register_cell(pending: PendingCheckIn):
    if pending.status != PendingStatus.PENDING:
        return ""
    url = reverse("control:pending_confirm", args=[pending.pk])
    label = gettext("Register and confirm")
    return format_html(
        '<a class="btn btn-sm btn-party" href="{}" data-testid="confirm">{}</a>', url, label
    )


@exportable
class PendingList(ListPage):
    """Check-ins of people heli did not know (待确认报到): confirmed in a batch when their number
    now matches a member, registered one by one otherwise, or rejected with a reason."""

    key = "pending"
    testid = "pending"
    title = _("Check-ins to confirm")
    columns = (
        column("name", pgettext_lazy("person", "Name"), "name", sort="name"),
        column("identity", _("ID number or phone"), "identity_mask", css="font-monospace"),
        column("station", _("Station"), "station.name", sort="station__name"),
        date_column("day", _("Day"), "day"),
        column("status", _("Status"), "get_status_display", sort="status"),
        column("register", "", lambda p: "", html=_register_cell, right=Right.EDIT_MEMBERS,
               export=False, css="text-end"),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("station__grid__path",)),
        ChoiceFilter("status", _("Status"), PendingStatus.choices, field="status",
                     default=PendingStatus.PENDING),
    )  # fmt: skip
    search = Search(pgettext_lazy("person", "Name"), None, ("name",))
    default_sort = "-day"
    template = "control/pending_list.html"
    actions = (
        BatchAction(
            "control:pending_batch_confirm",
            _("Confirm"),
            Right.EDIT_MEMBERS,
            _(
                "Confirm the %(count)s ticked check-ins? Each must match a registered member by "
                "its ID number or phone; people not registered yet are confirmed one by one "
                "with 登记并确认."
            ),
        ),
        BatchAction(
            "control:pending_batch_reject",
            _("Reject"),
            Right.EDIT_MEMBERS,
            _("Reject the %(count)s ticked check-ins?"),
            danger=True,
            fields="control/includes/batch_reason.html",
        ),
    )
    empty_text = _("Nobody is waiting to be confirmed.")
    export_action = "checkin.export"

    def base_queryset(self) -> QuerySet:
        return PendingCheckIn.objects.select_related("station")


def _home_q() -> Q:
    return CheckIn.home_q(current_scope())


@exportable
class CheckInList(ListPage):
    """Every check-in (报到记录) in the user's area, by QR or recorded by staff. A QR check-in
    is self-reported (自报) until the member's home branch confirms it (in batches too) or
    rejects it as not the member, with a reason."""

    key = "checkins"
    testid = "checkin"
    title = _("Check-in history")
    columns = (
        column("at", _("Time"), "at", sort="at", css="nowrap"),
        column("member", _("Member"), "member.name", sort="member__name",
               link=detail_link("control:member_detail", "member_id")),
        column("station", _("Station"), "station.name", sort="station__name"),
        column("grid", _("Grid"), "station.grid.name", sort="station__grid__path"),
        column("source", _("Source"), "get_source_display", sort="source"),
        column("status", _("Verification"), "verification_label", sort="status"),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("station__grid__path",)),
        ChoiceFilter("source", _("Source"), CheckInSource.choices, field="source"),
        ChoiceFilter("status", _("Verification"), CheckInStatus.choices, field="status"),
        FlagFilter("home", _("Members at home in my area only"), _home_q),
        YearFilter("year", _("Year"), "day"),
    )
    search = Search(_("Name, pinyin initials, or ID number / phone"), "member")
    default_sort = "-at"
    template = "control/check_in_history.html"
    actions = (
        BatchAction(
            "control:check_in_batch_confirm",
            _("Confirm: it was the member"),
            Right.EDIT_MEMBERS,
            _(
                "Confirm the %(count)s ticked self-reported check-ins as the members' own? "
                "Each then counts as a verified contact: the lost-contact clock restarts from "
                "it and open reminder letters are settled."
            ),
        ),
        BatchAction(
            "control:check_in_batch_reject",
            _("Reject: not this person"),
            Right.EDIT_MEMBERS,
            _("Reject the %(count)s ticked check-ins as not the member?"),
            danger=True,
            fields="control/includes/batch_reason.html",
        ),
    )
    empty_text = _("No check-ins yet.")
    export_action = "checkin.export"

    count_limit = COUNT_LIMIT  # check-ins grow by every visit

    def base_queryset(self) -> QuerySet:
        check_ins = CheckIn.objects.select_related("member", "station__grid")
        ids = _narrow_check_in_ids(current_scope())
        return check_ins if ids is None else check_ins.filter(pk__in=ids)


def _narrow_check_in_ids(scope: Scope) -> set[int] | None:
    """The ids of the check-ins a narrow scope sees (CheckIn.scope_q's five paths, each by its
    own index; see member_lists.narrow_scope_ids), or None for a broad scope, whose list reads
    the time index newest first."""
    if tallies.member_count(scope) > NARROW_MEMBERS:
        return None
    orgs = PartyOrg.unscoped.filter(scope.org_q("path")).values("pk")
    regions = Region.unscoped.filter(scope.region_q("path")).values("pk")
    # The member's paths as semi-joins, members first: across the join SQLite walked every
    # check-in's member for the industry chain (the bench zone's chains are all empty, so its
    # statistics call that index useless: 235 ms at a million members).
    members = (Q(org__in=orgs), Q(residence_grid__in=regions), Q(industry_chain__in=orgs))
    paths = (
        Q(station__grid__in=regions), Q(station__org__in=orgs),
        *(Q(member__in=Member.unscoped.filter(q).values("pk")) for q in members),
    )  # fmt: skip
    ids: set[int] = set()
    for q in paths:
        ids.update(CheckIn.unscoped.filter(q).order_by().values_list("pk", flat=True))
    return ids


def _transfer_status(transfer: Transfer):
    return badges.transfer_status(transfer.status, transfer.get_status_display())


def _transfer_status_q(value: str) -> Q:
    if value == UNDER_WAY:
        return Q(status__in=OPEN_STATUSES)
    return Q(status=value)


def _awaiting_q(user: Any) -> Q:
    return Q(pk__in=[t.pk for t in rules.awaiting(user, Transfer.objects.all())])


def _direction_q(value: str) -> Q:
    scope = current_scope()
    return scope.org_q("from_org__path") if value == "out" else scope.org_q("to_org__path")


@exportable
class TransferList(ListPage):
    key = "transfers"
    testid = "transfer"
    title = _("Relationship transfers")
    columns = (
        column("member", _("Member"), "member.name", sort="member__name",
               link=detail_link("control:transfer_detail")),
        column("from", _("Sending organization"), "from_org_name", sort="from_org_name"),
        column("to", _("Receiving organization"), "to_org_name", sort="to_org_name"),
        column("serial", _("Letter number"), lambda t: t.serial or t.external_serial,
               sort="serial", css="font-monospace small nowrap"),
        date_column("valid_until", _("Valid until"), "valid_until"),
        column("status", _("Status"), "get_status_display", sort="status",
               html=_transfer_status),
        column("applied", _("Applied"), lambda t: timezone.localdate(t.created_at),
               sort="created_at", css="nowrap"),
    )  # fmt: skip
    filters = (
        ChoiceFilter("status", _("Status"),
                     [(UNDER_WAY, _("Under way")), *TransferStatus.choices],
                     query=_transfer_status_q),
        ChoiceFilter("direction", _("Direction"), [("out", _("Sent by my organizations")),
                     ("in", _("Received by my organizations"))], query=_direction_q),
        FlagFilter("mine", _("Waiting for me"), _awaiting_q, about_user=True),
        TreeFilter("org", _("Party organization"), PartyOrg,
                   ("from_org__path", "to_org__path"), tree="orgs"),
    )  # fmt: skip
    search = Search(
        _("Member name, pinyin initials, or letter number"),
        "member",
        ("serial", "external_serial"),
    )
    default_sort = "-applied"
    template = "control/transfer_list.html"
    empty_text = _("No relationship transfers yet.")
    export_action = "transfer.export"

    def base_queryset(self) -> QuerySet:
        return Transfer.objects.select_related("member", "from_org", "to_org")

    def extra_context(self) -> dict[str, Any]:
        """Counts per status for what the other filters leave (one grouped query)."""
        others = {k: v for k, v in self.values.items() if k != "status"}
        rows = self.base_queryset()
        for f in self.filters:
            if f.key in others:
                rows = f.apply(rows, others[f.key], self.user)
        if self.term:
            rows = rows.filter(self.search.q(self.term))
        counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
        pills = [(UNDER_WAY, _("Under way"), sum(counts.get(s, 0) for s in OPEN_STATUSES))]
        pills += [(value, label, counts.get(value, 0)) for value, label in TransferStatus.choices]
        return {
            "total": sum(counts.values()),
            "statuses": [(v, label, n, self.state_query(status=v)) for v, label, n in pills],
            "all_statuses_query": self.state_query(status=""),
        }
