"""Columns of a list page: what a cell shows on screen, in print and in the spreadsheet, and how
the column sorts."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString

from heli.core import freetext
from heli.core.exporters import Exporter


@functools.cache
def _labels(model: type, field: str) -> dict[Any, Any]:
    """{value: label} of a model field's choices. Django's `get_x_display` builds (and hashes)
    this for every call: a third of a 50-row member page's time."""
    return dict(model._meta.get_field(field).flatchoices)


def _display(obj: Any, part: str) -> Any:
    """`obj.get_x_display()` from the cached labels (the value itself when it has none)."""
    field = part.removeprefix("get_").removesuffix("_display")
    value = getattr(obj, field)
    return str(_labels(type(obj), field).get(value, value))


def path(dotted: str) -> Callable[[Any], Any]:
    """A getter for `a.b.c` that gives "" when a link in the chain is missing, and calls
    `get_x_display`-style methods."""
    parts = dotted.split(".")

    def get(obj: Any) -> Any:
        for part in parts:
            if obj is None:
                return ""
            if part.startswith("get_") and part.endswith("_display") and hasattr(obj, "_meta"):
                obj = _display(obj, part)
                continue
            obj = getattr(obj, part)
            if callable(obj):
                obj = obj()
        return "" if obj is None else obj

    return get


def plain_text(value: Any) -> str:
    """A cell's value as text (print view and screen): dates as 2026-12-01, empty as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column. `value(row)` gives the plain value (printed and exported); `html(row)`
    may give richer markup for the screen (a badge, a coloured state); `link(row)` makes the
    cell a link. `sort` names the ORM fields the column orders by (empty: not sortable)."""

    key: str
    label: str | Promise
    value: Callable[[Any], Any]
    sort: tuple[str, ...] = ()
    link: Callable[[Any], str] | None = None
    html: Callable[[Any], SafeString] | None = None
    css: str = ""
    right: Any = None  # shown only to users with this right (a column of action links)
    export: bool = True  # False for columns of links that mean nothing on paper
    testid: str = ""  # the cells' data-testid, for browser tests

    @property
    def sortable(self) -> bool:
        return bool(self.sort)

    def text(self, row: Any) -> str:
        return plain_text(self.value(row))

    def cell(self, row: Any) -> SafeString:
        content = self.html(row) if self.html is not None else self.text(row)
        if self.link is not None:
            url = self.link(row)
            if url:
                return format_html('<a href="{}">{}</a>', url, content)
        return format_html("{}", content)


def column(
    key: str,
    label: str | Promise,
    value: str | Callable[[Any], Any],
    *,
    sort: str | tuple[str, ...] | None = None,
    **options: Any,
) -> Column:
    """Shorthand: `value` may be a dotted path; `sort` a field or a tuple of fields."""
    getter = path(value) if isinstance(value, str) else value
    order = (sort,) if isinstance(sort, str) else tuple(sort or ())
    return Column(key, label, getter, order, **options)


def text_column(key: str, label: str | Promise, value: str, **options: Any) -> Column:
    """Free text (a place, a note): any number in it masked on screen, in print and in the
    spreadsheet (heli.core.freetext); sorts by the field of the same path."""
    get = path(value)
    options.setdefault("sort", (value.replace(".", "__"),))
    return Column(key, label, lambda row: freetext.mask(get(row)), **options)


def detail_link(url_name: str, attr: str = "pk") -> Callable[[Any], str]:
    """A link to the object's page, or a related object's: `detail_link("x", "member_id")`."""
    get = path(attr)

    def link(row: Any) -> str:
        pk = get(row)
        return reverse(url_name, args=[pk]) if pk else ""

    return link


def date_column(key: str, label: str | Promise, value: str, **options: Any) -> Column:
    """A date: never wraps, sorts by the field of the same path."""
    options.setdefault("css", "nowrap")
    return column(key, label, value, sort=options.pop("sort", value.replace(".", "__")), **options)


CHUNK = 2000


class ColumnExporter(Exporter):
    """A list's own columns as plain values (the default spreadsheet of a list). Rows are read
    in chunks and passed through the list's `decorate` (which may add per-chunk figures)."""

    def __init__(
        self,
        columns: Sequence[Column],
        rows: QuerySet,
        *,
        title: str,
        decorate: Callable[[list[Any]], list[Any]] = list,
    ):
        self.columns = columns
        self.source = rows
        self.decorate = decorate
        self.sheet_name = title

    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def rows(self) -> Iterator[list[Any]]:
        chunk: list[Any] = []
        for obj in self.source.iterator(chunk_size=CHUNK):
            chunk.append(obj)
            if len(chunk) == CHUNK:
                yield from self._values(chunk)
                chunk = []
        yield from self._values(chunk)

    def _values(self, objects: list[Any]) -> Iterator[list[Any]]:
        for row in self.decorate(objects):
            yield [c.value(row) for c in self.columns]
