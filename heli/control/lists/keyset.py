"""Pages of a list past the first few thousand rows, read by keyset (seek) instead of OFFSET.

An OFFSET of n reads and drops n rows of the index: page 20,000 of a million-member roll
would read the whole roll. Up to `OFFSET_ROWS` rows deep a list pages by number as always;
past that, "next" and "previous" carry the primary key of the page's last (or first) row as
`after` (or `before`), and the next page is the rows that sort after that row's values,
`(sort fields…, pk) > (its values…)`, read from the sort's index like the first page.

The cursor is a row's primary key, never its values: names and numbers stay out of URLs, and
the values are read again through the list's own (scoped, filtered) queryset, so a cursor
naming a row the user cannot see, or one that no longer matches the filters, is ignored and
the page falls back to the deepest numbered page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page
from django.db.models import BooleanField, F, Func, Model, QuerySet, Value
from django.db.models.lookups import GreaterThan, LessThan

from heli.core.params import to_int

# Deeper than this, pages are reached by keyset only (the bounded counts stop here too).
OFFSET_ROWS = 2_000


class RowValue(Func):
    """`(a, b, …)`: a row value, compared as a whole (SQLite 3.15+, PostgreSQL), which both
    databases turn into one range over a composite index."""

    template = "(%(expressions)s)"
    # Never selected, only compared; a declared type keeps Django from inferring one from
    # columns of mixed types.
    output_field = BooleanField()


@dataclass(frozen=True)
class Cursor:
    """The row a keyset page starts after (`forward`) or ends before."""

    pk: int
    forward: bool

    @classmethod
    def from_params(cls, get) -> Cursor | None:
        after, before = to_int(get("after"), low=1), to_int(get("before"), low=1)
        if after:
            return cls(after, True)
        if before:
            return cls(before, False)
        return None


def seek_order(rows: QuerySet) -> tuple[list[str], bool] | None:
    """The fields `rows` is ordered by and whether descending, when a keyset can follow that
    order: one direction throughout, ending in the primary key, no nullable field (a NULL
    compares as unknown and would drop rows from every later page)."""
    order = [str(o) for o in rows.query.order_by]
    if not order or order[-1].lstrip("-") != "pk":
        return None
    descending = order[-1].startswith("-")
    if any(o.startswith("-") != descending for o in order):
        return None
    names = [o.lstrip("-") for o in order]
    if not all(_never_null(rows.model, name) for name in names[:-1]):
        return None
    return names, descending


def _never_null(model: type[Model], path: str) -> bool:
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if getattr(field, "null", True) or not field.concrete:
            return False
        if field.is_relation:
            model = field.related_model
        elif part != path.split("__")[-1]:
            return False
    return True


def rows_by_ids(window: QuerySet, rows: QuerySet) -> list:
    """The rows of `window` (a slice of `rows` in their order), read as their ids in that
    order, then whole by id. Sorting the whole rows sorts every joined row in full: a
    floating record with its member and six organizations, 34,000 of them sorted by direction
    took a second on PostgreSQL to show 50; the ids and the sort's columns alone sort in a
    fraction, and 50 rows are then read by primary key."""
    ids = list(window.values_list("pk", flat=True))
    if not ids:
        return []
    whole = {row.pk: row for row in rows.order_by().filter(pk__in=ids)}
    return [whole[pk] for pk in ids if pk in whole]


def seek(rows: QuerySet, cursor: Cursor, size: int) -> tuple[list, bool] | None:
    """The `size` rows after (or before) the cursor's row in `rows`' order, in that order,
    and whether more lie beyond them in the direction read; None when the order cannot be
    followed or the cursor's row is not among `rows`."""
    order = seek_order(rows)
    if order is None:
        return None
    names, descending = order
    boundary = rows.filter(pk=cursor.pk).values_list(*names).first()
    if boundary is None or any(value is None for value in boundary):
        return None
    lhs = RowValue(*[F(name) for name in names])
    rhs = RowValue(*[Value(value) for value in boundary])
    later = cursor.forward != descending  # "after" in an ascending order means greater
    beyond = rows.filter(GreaterThan(lhs, rhs) if later else LessThan(lhs, rhs))
    if not cursor.forward:
        beyond = beyond.reverse()
    found = rows_by_ids(beyond[: size + 1], rows)
    more = len(found) > size
    found = found[:size]
    if not cursor.forward:
        found.reverse()
    return found, more


def offset_pages(size: int) -> int:
    """How many pages of `size` rows are reached by number."""
    return max(1, OFFSET_ROWS // size)


class ListRowsPage(Page):
    """A page of a list, read by number (OFFSET) within the first `OFFSET_ROWS` rows.

    Its links say how to reach its neighbours: by number while they lie within those rows,
    else by keyset from this page's last or first row (`seekable`: the list's order allows
    it). Past a bounded count ("more than 2,000") the next page is still there by keyset."""

    seekable: bool = False

    @property
    def window(self) -> int:
        return offset_pages(self.paginator.per_page)

    def has_next(self) -> bool:
        if super().has_next():
            return True
        return self.seekable and self.paginator.more and bool(self.object_list)

    def next_query(self) -> str:
        number = self.number + 1
        if number <= self.window or not self.seekable:
            return f"page={number}"
        return f"page={number}&after={self.object_list[-1].pk}"

    def previous_query(self) -> str:
        number = self.number - 1
        if number <= self.window or not self.seekable:
            return f"page={number}"
        return f"page={number}&before={self.object_list[0].pk}"

    def reachable(self, number: int) -> bool:
        """Whether a link to page `number` alone (no cursor) reads it."""
        return not self.seekable or number <= self.window or number == self.number


class KeysetPage(ListRowsPage):
    """A page read by keyset: its number is where the user has walked to (shown, not used
    to read), and whether pages lie before or after it is known from the rows read."""

    seekable = True

    def __init__(self, rows: list, number: int, paginator, *, more_before: bool,
                 more_after: bool):  # fmt: skip
        super().__init__(rows, number, paginator)
        self._before = more_before
        self._after = more_after

    def has_next(self) -> bool:
        return self._after

    def has_previous(self) -> bool:
        return self._before or self.number > 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def keyset_page(paginator, number: int, cursor: Cursor) -> KeysetPage | None:
    """Page `number` (shown as such) read from the cursor; None when it cannot be."""
    walked = seek(paginator.object_list, cursor, paginator.per_page)
    if walked is None:
        return None
    rows, more = walked
    if not rows:
        return None
    if cursor.forward:
        return KeysetPage(rows, number, paginator, more_before=True, more_after=more)
    return KeysetPage(rows, number, paginator, more_before=more, more_after=True)
