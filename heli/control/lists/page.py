"""Lists that work like a ledger (台账): sortable columns, filters kept in the URL so that a
list can be bookmarked and exported as filtered, page numbers with a jump and a page size,
rows to tick for batch actions, and the same rows exported or printed with a title, the
organization, the filter and the date.

A list is a subclass of `ListPage` naming its columns, filters, search and base queryset; its
view is one line, `return respond(MemberList, request)` (heli.control.lists.views). Everything
a list shows comes from the scoped managers: the user's subtree and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.control.lists.columns import Column, ColumnExporter
from heli.control.lists.filters import Filter
from heli.control.lists.keyset import (
    Cursor,
    ListRowsPage,
    keyset_page,
    offset_pages,
    rows_by_ids,
    seek_order,
)
from heli.control.lists.search import Find, name_q, person_arms, recall
from heli.core.exporters import Exporter
from heli.core.params import to_int
from heli.core.pinyin import as_initials, prefix_range

PAGE_SIZES = (20, 50, 100, 200)
# Parameters that make up what a list shows (the page number aside).
STATE_KEYS = ("q", "find", "sort", "size")


@dataclass(frozen=True)
class Search:
    """Text search of a list. `person` is the path to the member the row is about ("" for the
    member list itself, "member" for rows with a member; None: rows are not about a person),
    searched by name, pinyin initials and numbers; `fields` are text fields searched by
    substring (a letter's number, a place); `prefix_fields` the person's text fields searched
    by prefix through their index (an employer); `initials` a field of pinyin initials
    searched by prefix (an organization's name)."""

    placeholder: str | Promise
    person: str | None = None
    fields: tuple[str, ...] = ()
    initials: str = ""
    prefix_fields: tuple[str, ...] = ()

    def q(self, term: str) -> Q:
        if self.person is not None:
            return name_q(self.prefix, term, self.fields, self.prefix_fields)
        condition = Q(pk__in=[])
        for name in self.fields:
            condition |= Q(**{f"{name}__icontains": term})
        letters = as_initials(term) if self.initials else None
        if letters:
            condition |= Q(**prefix_range(self.initials, letters))
        return condition

    @property
    def prefix(self) -> str:
        return f"{self.person}__" if self.person else ""

    def arms(self, term: str) -> list[Q]:
        """The search as conditions joined by OR, each through its own index, when the rows
        are the people themselves and nothing else is searched (else none): a page reads
        each arm's first rows in the list's order (see `ListPage.page_rows`)."""
        if self.person != "" or self.fields:
            return []
        return person_arms(term, self.prefix_fields)

    @property
    def numbers(self) -> bool:
        return self.person is not None


@dataclass(frozen=True)
class BatchAction:
    """A button acting on the ticked rows: POSTs their ids as `pick` to `url_name`, after a
    confirmation that says how many rows it touches. `fields` is a template with the extra
    inputs the action needs (a worker to assign to, a reason)."""

    url_name: str
    label: str | Promise
    right: Right
    confirm: str | Promise  # "%(count)s" is replaced by the number of ticked rows
    danger: bool = False
    fields: str = ""


class ListPage:
    key: ClassVar[str]  # names the list in export jobs and audit entries
    testid: ClassVar[str] = "list"  # the table is `<testid>-table`, its rows `<testid>-row`
    title: ClassVar[str | Promise]
    columns: ClassVar[Sequence[Column]]
    filters: ClassVar[Sequence[Filter]] = ()
    search: ClassVar[Search | None] = None
    default_sort: ClassVar[str] = ""  # a column key, "-key" for descending
    actions: ClassVar[Sequence[BatchAction]] = ()
    template: ClassVar[str] = "control/list.html"
    empty_text: ClassVar[str | Promise] = ""
    # What `count` means on a page that shows more than one concept's rows, e.g. "含已删除".
    count_note: ClassVar[str | Promise] = ""
    # Exports: the audit action, and whether the list holds numbers that a full export shows.
    # Query parameters beyond the filters that belong to the list's state (kept when paging).
    extra_state_keys: ClassVar[tuple[str, ...]] = ()
    export_action: ClassVar[str] = ""
    sensitive: ClassVar[bool] = False
    unmask_right: ClassVar[Right] = Right.VIEW_SENSITIVE

    def __init__(
        self, user, params: QueryDict | dict, session=None, find: Find | None = None, **context
    ):
        """`context`: what a list of one place or object needs (a ledger's region); it must be
        given back by `job_params`/`from_job_params` so that a background export rebuilds it."""
        self.user = user
        self.context = context
        self.params = params
        self.find = find if find is not None else recall(session, self._get("find"))
        self.values: dict[str, Any] = {}
        for f in self.filters:
            value = f.clean(f.raw(params))
            if value is not None:
                self.values[f.key] = value

    @property
    def shown_columns(self) -> list[Column]:
        """The columns this user sees (a column of action links needs its right)."""
        return [c for c in self.columns if c.right is None or self.user.can(c.right)]

    @property
    def paper_columns(self) -> list[Column]:
        """The columns printed and exported by default."""
        return [c for c in self.shown_columns if c.export]

    # Reading the parameters --------------------------------------------------------------

    def _get(self, key: str) -> str:
        value = self.params.get(key) or ""
        return value.strip() if isinstance(value, str) else ""

    @property
    def term(self) -> str:
        return self._get("q")[:100] if self.search is not None else ""

    @property
    def sort(self) -> tuple[Column | None, bool]:
        """(the column sorted by, descending?) from `?sort=`, else the default."""
        wanted = self._get("sort") or self.default_sort
        descending = wanted.startswith("-")
        key = wanted.lstrip("-")
        column = next((c for c in self.columns if c.key == key and c.sortable), None)
        return column, descending

    @property
    def page_size(self) -> int:
        size = to_int(self._get("size"))
        return size if size in PAGE_SIZES else settings.HELI_PAGE_SIZE

    # The rows ----------------------------------------------------------------------------

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def queryset(self) -> QuerySet:
        """The rows the filters, the search and the sort select (the export takes the same)."""
        rows = self._unsearched()
        if self.search is not None and self.term:
            rows = rows.filter(self.search.q(self.term))
        return self._sorted(rows)

    def _unsearched(self) -> QuerySet:
        """The rows the filters and a number search select, before the text search."""
        rows = self.base_queryset()
        for f in self.filters:
            if f.key in self.values:
                rows = f.apply(rows, self.values[f.key], self.user)
        if self.search is not None and self.find is not None and self.search.numbers:
            rows = rows.filter(self.find.q(self.search.prefix))
        return rows

    def _sorted(self, rows: QuerySet) -> QuerySet:
        column, descending = self.sort
        if column is not None:
            order = [f"-{f}" if descending else f for f in column.sort]
            rows = rows.order_by(*order, "-pk" if descending else "pk")
        return rows

    def page_rows(self) -> QuerySet:
        """The rows a page can reach. A search of several arms (a name's start, its initials,
        an employer's start) under a bounded count reads each arm's first `count_limit` + 1
        rows in the list's order, each walking its own index (an OR of two indexed ranges
        makes the planners gather every match and sort them: a common surname at a million
        members is 25,000); those hold every row the pages show, since they stop at
        `count_limit`, and the bounded count over them is the same."""
        arms = self.search.arms(self.term) if self.search is not None and self.term else []
        if self.count_limit is None or len(arms) < 2:
            return self.queryset()
        rows = self._unsearched()
        reach = self.count_limit + 1
        ids: set[int] = set()
        for arm in arms:
            ids.update(self._sorted(rows.filter(arm)).values_list("pk", flat=True)[:reach])
        return self._sorted(rows.filter(pk__in=ids))

    def decorate(self, rows: Iterable[Any]) -> list[Any]:
        """Rows as the columns read them (a hook: e.g. a floating record with its clock)."""
        return list(rows)

    @property
    def filtered(self) -> bool:
        return bool(self.values or self.term or self.find)

    def empty_message(self) -> str:
        """What an empty list says: that the filters found nothing, or what to do first."""
        if self.filtered:
            return _("Nothing matches these filters.")
        return str(self.empty_text) or _("Nothing here yet.")

    def extra_context(self) -> dict[str, Any]:
        """What the list's template shows besides the rows (tiles, a chart)."""
        return {}

    def job_params(self) -> dict[str, Any]:
        """Parameters beyond the query string that rebuild this list (see `__init__`)."""
        return {}

    @classmethod
    def from_job_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """The `context` for `__init__` from `job_params`, read inside the asking user's scope."""
        return {}

    def exporter(self, rows: QuerySet, *, unmasked: bool) -> Exporter:
        """The spreadsheet of the rows: the list's columns unless the list has its own."""
        return ColumnExporter(
            self.paper_columns, rows, title=str(self.title), decorate=self.decorate
        )

    # Lists over tables that grow with the members count no further than this: past it the
    # total reads "more than …" and the pages stop there (a bounded offset).
    count_limit: int | None = None

    def known_total(self) -> int | None:
        """The total without counting the rows (from the tallies), when the list can tell."""
        return None

    def page(self) -> Page:
        rows = self.page_rows()
        total, more = self.known_total(), False
        if total is None and self.count_limit is not None:
            # COUNT over LIMIT n+1: reads at most n+1 rows, whatever the table. In no order:
            # the first n+1 rows in the page's order may lie far down its index (a town's
            # check-ins newest first: 40,000 read for 2,000 of its own, 520 ms at a million
            # members), where any n+1 rows are found by the scope's own indexes (4 ms).
            total = rows.order_by()[: self.count_limit + 1].count()
            more = total > self.count_limit
            total = min(total, self.count_limit)
        paginator = CountedPaginator(rows, self.page_size, total, more)
        number = to_int(self._get("page"), low=1, high=10**8) or 1
        seekable = seek_order(rows) is not None
        cursor = Cursor.from_params(self._get)
        if seekable and cursor is not None and number > 1:
            walked = keyset_page(paginator, number, cursor)
            if walked is not None:
                return walked
        if seekable:  # deeper pages only by keyset (their cursor was stale or missing)
            number = min(number, offset_pages(self.page_size))
        shown = paginator.get_page(number)
        shown.object_list = rows_by_ids(shown.object_list, rows)
        shown.seekable = seekable
        return shown

    # Words for the title block of exports and prints ---------------------------------------

    def filter_lines(self) -> list[str]:
        parts = [f.describe(self.values[f.key]) for f in self.filters if f.key in self.values]
        if self.term:
            parts.append(_("Search: %(term)s") % {"term": self.term})
        if self.find is not None and self.search is not None and self.search.numbers:
            parts.append(_("Number: %(mask)s") % {"mask": self.find.mask})
        column, descending = self.sort
        if column is not None and self._get("sort"):
            parts.append(
                (_("Sorted by %(column)s, descending") if descending else _("Sorted by %(column)s"))
                % {"column": column.label}
            )
        return parts

    def info_lines(self) -> list[str]:
        org = getattr(self.user, "org", None)
        filters = self.filter_lines()
        return [
            _("Organization: %(org)s") % {"org": org.name if org else "—"},
            _("Filter: %(filter)s") % {"filter": "；".join(filters) if filters else _("none")},
            _("Date: %(date)s · by %(name)s")
            % {"date": timezone.localdate().isoformat(), "name": self.user.display_name},
        ]

    def state_query(self, **changes: str) -> str:
        """The query string of this list's state (filters, search, sort, size) with changes;
        the page number is dropped unless given."""
        return self.state_query_dict(**changes).urlencode()

    def state_query_dict(self, **changes: str) -> QueryDict:
        query = QueryDict(mutable=True)
        for key in [*STATE_KEYS, *self.extra_state_keys, *(f.key for f in self.filters)]:
            value = self._get(key)
            if value:
                query[key] = value
        for key, value in changes.items():
            if value in ("", None):
                query.pop(key, None)
            else:
                query[key] = value
        return query


class CountedPaginator(Paginator):
    """A paginator told its total (a tally's sum, or a bounded count with `more` when rows lie
    beyond it) instead of counting the queryset itself."""

    def __init__(self, rows: QuerySet, per_page: int, total: int | None, more: bool = False):
        super().__init__(rows, per_page)
        self.more = more
        if total is not None:
            self.__dict__["count"] = total  # Paginator.count is a cached property

    def _get_page(self, *args, **kwargs) -> ListRowsPage:
        return ListRowsPage(*args, **kwargs)
