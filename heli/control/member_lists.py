"""The member registry as a list (党员名册) and the three ledgers of a place (三本台账)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.lookups import In
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from heli.control.lists.columns import column, detail_link
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, TreeFilter, YearFilter, age_filter
from heli.control.lists.page import ListPage, Search
from heli.core.exporters import Exporter
from heli.core.lookups import Unindexed
from heli.core.scoping import Scope, current_scope, get_scoped_or_404
from heli.members.choices import (
    ACTIVE_STATUSES,
    Education,
    Gender,
    Membership,
    MemberStatus,
    Occupation,
)
from heli.members.dates import member_date
from heli.members.exporters import MemberExporter
from heli.members.ledgers import Ledger, ledger_members
from heli.members.models import Member
from heli.orgs.models import PartyOrg, Region
from heli.reports import ledgers as ledger_counts
from heli.reports import tallies

# Past this many rows a filtered list says "more than" instead of counting them all (and its
# pages stop there: 40 of 50 rows; filter to narrow). Each row counted is reached through the
# scope's joins, so the bound is what a page may spend: ~2,000 rows stay within a few ms.
COUNT_LIMIT = 2_000
ON_ROLL = "on_roll"  # 在册: the statuses that count as members everywhere (ACTIVE_STATUSES)


def _status_q(value: str) -> Q:
    if value == ON_ROLL:
        # Nearly every member is on the roll: SQLite must not drive the page from the status
        # index (a search then read every member) but from the name's or the search's.
        return Q(In(Unindexed("status"), list(ACTIVE_STATUSES)))
    return Q(status=value)


def _status_cell(member: Member):
    if member.is_floating:
        return format_html(
            '<span class="badge text-bg-warning">{} · {}</span>',
            member.get_status_display(),
            member.get_floating_direction_display(),
        )
    return member.get_status_display()


def _status_choices():
    return [(ON_ROLL, _("On the roll (normal and floating)")), *MemberStatus.choices]


MEMBER_COLUMNS = (
    column("name", pgettext_lazy("person", "Name"), "name", sort="name",
           link=detail_link("control:member_detail")),
    column("gender", gettext_lazy("Gender"), "get_gender_display"),
    column("id_mask", gettext_lazy("ID number"), "id_mask", css="font-monospace",
           testid="id-mask"),
    column("phone_mask", gettext_lazy("Phone"), "phone_mask", css="font-monospace"),
    column("education", gettext_lazy("Education"), "get_education_display"),
    column("membership", gettext_lazy("Membership"), "get_membership_display"),
    column("joined_on", gettext_lazy("Date joined the Party"),
           lambda member: member_date(member, "joined_on"), sort="joined_on", css="nowrap"),
    # Grouped by organization (or grid) through the member's own column and its index: the
    # other table's path order would sort a million joined rows for one page.
    column("org", gettext_lazy("Organization holding the relationship"), "org.name",
           sort="org_id"),
    column("grid", gettext_lazy("Residence grid"), "residence_grid.name",
           sort="residence_grid_id"),
    column("occupation", gettext_lazy("Occupation"), "get_occupation_display"),
    column("status", gettext_lazy("Status"), "get_status_display", sort="status",
           html=_status_cell),
)  # fmt: skip

MEMBER_FILTERS = (
    TreeFilter("org", gettext_lazy("Party organization"), PartyOrg, ("org__path",), tree="orgs"),
    TreeFilter("region", gettext_lazy("Where they live"), Region, ("residence_grid__path",)),
    ChoiceFilter("status", gettext_lazy("Status"), _status_choices, query=_status_q,
                 default=ON_ROLL, all_label=gettext_lazy("All (incl. transferred, deceased)")),
    ChoiceFilter("membership", gettext_lazy("Full or probationary"), Membership.choices,
                 field="membership"),
    ChoiceFilter("gender", gettext_lazy("Gender"), Gender.choices, field="gender"),
    age_filter(),
    ChoiceFilter("education", gettext_lazy("Education"), Education.choices, field="education"),
    YearFilter("joined", gettext_lazy("Year joined"), "joined_on"),
    ChoiceFilter("occupation", gettext_lazy("Occupation"), Occupation.choices,
                 field="occupation"),
)  # fmt: skip

# A scope of at most this many members (a village, a grid, a branch) is read through its
# members' ids: the planners would otherwise walk the name index over the whole zone, stopping
# only after 50 of its few members (a grid's list read 1,000,000 index entries).
NARROW_MEMBERS = 5_000


def narrow_scope_ids(scope: Scope) -> set[int] | None:
    """The ids of every member `scope` sees (Member.scope_q's three paths, each by its own
    index), or None when the scope is broad (the tallies say how many it holds)."""
    if tallies.member_count(scope) > NARROW_MEMBERS:
        return None
    orgs = PartyOrg.unscoped.filter(scope.org_q("path")).values("pk")
    regions = Region.unscoped.filter(scope.region_q("path")).values("pk")
    ids: set[int] = set()
    for q in (Q(org__in=orgs), Q(residence_grid__in=regions), Q(reported_to__in=regions)):
        ids.update(Member.unscoped.filter(q).order_by().values_list("pk", flat=True))
    return ids


PERSON_SEARCH = Search(
    gettext_lazy("Name, pinyin initials, employer, or ID number / phone (whole or last 4)"),
    person="",
    prefix_fields=("employer",),
)


@exportable
class MemberList(ListPage):
    key = "members"
    testid = "member"
    title = gettext_lazy("Party member roll")
    columns = MEMBER_COLUMNS
    filters = MEMBER_FILTERS
    search = PERSON_SEARCH
    default_sort = "name"
    template = "control/member_list.html"
    empty_text = gettext_lazy("No members yet: add one or import a roll from Excel.")
    export_action = "member.export"
    sensitive = True

    count_limit = COUNT_LIMIT

    def base_queryset(self) -> QuerySet:
        members = Member.objects.select_related("org", "residence_grid")
        ids = narrow_scope_ids(current_scope())
        return members if ids is None else members.filter(pk__in=ids)

    def known_total(self) -> int | None:
        """Filtered by status alone (or not at all): the tallies' sum, no count of members."""
        if self.term or self.find or set(self.values) - {"status"}:
            return None
        status = self.values.get("status")
        return tallies.member_count(current_scope(), _status_q(status) if status else None)

    @property
    def count_note(self) -> str:
        if self.values.get("status") is None:  # 全部: more than the members on the roll
            return _("incl. transferred out, deceased and lapsed")
        return ""

    def exporter(self, rows: QuerySet, *, unmasked: bool) -> Exporter:
        # The import template's columns, so that an export can be corrected and imported.
        return MemberExporter(rows, unmasked=unmasked, title=str(self.title))


@exportable
class LedgerList(MemberList):
    """One ledger (隶属/在职/流动) of a village, community or grid: its members, with the
    member list's filters. The ledger already says which members count, so the status filter
    starts at 全部."""

    key = "ledger"
    template = "control/ledger.html"
    filters = tuple(f for f in MEMBER_FILTERS if f.key != "status")

    @property
    def region(self) -> Region:
        return self.context["region"]

    @property
    def kind(self) -> str:
        return self.context["kind"]

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"{self.region.name}{Ledger(self.kind).label}"

    @property
    def count_note(self) -> str:
        return ""

    def base_queryset(self) -> QuerySet:
        return ledger_members(self.kind, self.region).select_related("org", "residence_grid")

    def known_total(self) -> int | None:
        if self.term or self.find or self.values:
            return None
        counts = self.context.get("counts") or ledger_counts.counts_for(self.region)
        return getattr(counts, self.kind)

    def job_params(self) -> dict[str, Any]:
        return {"region": self.region.pk, "kind": self.kind}

    @classmethod
    def from_job_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"region": get_scoped_or_404(Region, pk=params["region"]), "kind": params["kind"]}
