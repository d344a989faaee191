"""Filters of a list page. Each reads one query parameter, narrows the queryset, and says in
words what it did (for the title block of an export or a print)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heli.core.params import to_id, to_int
from heli.core.tree import subtree_q

ALL = "all"  # the value that lifts a filter's default ("全部")

Choices = Iterable[tuple[str, Any]]


class Filter:
    """Base class. `widget` names how the filter bar draws it."""

    key: str
    label: str | Promise
    widget = "select"
    default: str = ""

    def clean(self, raw: str) -> Any | None:
        """The value to filter by, or None when the parameter is absent or not valid."""
        raise NotImplementedError

    def apply(self, queryset: QuerySet, value: Any, user: Any = None) -> QuerySet:
        """Narrow the rows; `user` is the one looking (for filters such as "mine")."""
        raise NotImplementedError

    def describe(self, value: Any) -> str:
        raise NotImplementedError

    def raw(self, params) -> str:
        return (params.get(self.key) or self.default or "").strip()


@dataclass
class ChoiceFilter(Filter):
    """One of a few values. Filters `field=value`, or by `query(value)` when given (for
    values that are conditions, e.g. a contact state or "reply overdue")."""

    key: str
    label: str | Promise
    choices: Choices | Callable[[], Choices]
    field: str = ""
    query: Callable[[str], Q] | None = None
    default: str = ""
    all_label: str | Promise = ""  # the "all" option's text; empty: 全部

    def options(self) -> list[tuple[str, Any]]:
        """(value, label) pairs, or (group label, [(value, label), ...]) for option groups."""
        choices = self.choices() if callable(self.choices) else self.choices
        return [
            (str(value), [(str(v), str(lbl)) for v, lbl in label])
            if isinstance(label, list | tuple)
            else (str(value), str(label))
            for value, label in choices
        ]

    def flat_options(self) -> dict[str, str]:
        flat: dict[str, str] = {}
        for value, label in self.options():
            if isinstance(label, list):
                flat.update(label)
            else:
                flat[value] = label
        return flat

    def clean(self, raw: str) -> str | None:
        if raw == ALL:
            return None
        return raw if raw in self.flat_options() else None

    def apply(self, queryset: QuerySet, value: str, user: Any = None) -> QuerySet:
        if self.query is not None:
            return queryset.filter(self.query(value))
        return queryset.filter(**{self.field: value})

    def describe(self, value: str) -> str:
        return f"{self.label}：{self.flat_options()[value]}"


@dataclass
class TreeFilter(Filter):
    """A node of the region or organization tree picked in a tree picker: rows under it.

    The node is fetched through the scope: a node the user cannot see filters nothing."""

    key: str
    label: str | Promise
    model: type[Model]
    fields: tuple[str, ...]  # path fields of the row, e.g. ("grid__path",); several are ORed
    tree: str = "regions"  # which tree the picker browses: "regions" or "orgs"
    widget = "tree"

    def clean(self, raw: str) -> Model | None:
        # Filters are shared by every request of a page: nothing about a request is kept here.
        pk = to_id(raw)
        return self.model.objects.filter(pk=pk).first() if pk else None

    def apply(self, queryset: QuerySet, value: Model, user: Any = None) -> QuerySet:
        condition = Q()
        for name in self.fields:
            condition |= subtree_q(name, value.path)
        return queryset.filter(condition)

    def describe(self, value: Model) -> str:
        return f"{self.label}：{value.name}"


# Age bands as party statistics use them (35岁及以下 … 61岁及以上):
# (value, label, youngest, oldest).
AGE_BANDS = (
    ("35-", _("35 or younger"), None, 35),
    ("36-45", _("36 to 45"), 36, 45),
    ("46-55", _("46 to 55"), 46, 55),
    ("56-60", _("56 to 60"), 56, 60),
    ("61+", _("61 or older"), 61, None),
)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def age_q(field_name: str, youngest: int | None, oldest: int | None, today: dt.date) -> Q:
    """Born so that their age today (whole years) lies in [youngest, oldest]."""
    condition = Q()
    if youngest is not None:  # at least `youngest`: born on or before today − youngest years
        condition &= Q(**{f"{field_name}__lte": years_before(today, youngest)})
    if oldest is not None:  # at most `oldest`: born after today − (oldest + 1) years
        condition &= Q(**{f"{field_name}__gt": years_before(today, oldest + 1)})
    return condition


def age_filter(field_name: str = "birth_date") -> ChoiceFilter:
    """Age bands of a birth date (computed against today, so a bookmark stays right)."""

    def band(value: str) -> Q:
        _value, _label, youngest, oldest = next(b for b in AGE_BANDS if b[0] == value)
        return age_q(field_name, youngest, oldest, timezone.localdate())

    return ChoiceFilter(
        "age", _("Age"), [(value, label) for value, label, _y, _o in AGE_BANDS], query=band
    )


@dataclass
class YearFilter(Filter):
    """A calendar year of a date field (e.g. the year a member joined the Party)."""

    key: str
    label: str | Promise
    field: str
    widget = "year"

    def clean(self, raw: str) -> int | None:
        return to_int(raw, low=1900, high=2100)

    def apply(self, queryset: QuerySet, value: int, user: Any = None) -> QuerySet:
        start, end = dt.date(value, 1, 1), dt.date(value + 1, 1, 1)
        return queryset.filter(**{f"{self.field}__gte": start, f"{self.field}__lt": end})

    def describe(self, value: int) -> str:
        return f"{self.label}：{value}"


@dataclass
class FlagFilter(Filter):
    """A checkbox: when ticked, rows meeting `query()`, or `query(user)` for filters about the
    one looking ("my tasks", "waiting for me")."""

    key: str
    label: str | Promise
    query: Callable[..., Q]
    about_user: bool = False
    widget = "check"

    def clean(self, raw: str) -> bool | None:
        return True if raw == "1" else None

    def apply(self, queryset: QuerySet, value: bool, user: Any = None) -> QuerySet:
        return queryset.filter(self.query(user) if self.about_user else self.query())

    def describe(self, value: bool) -> str:
        return str(self.label)


@dataclass
class TextFilter(Filter):
    """Free text matched by substring in one field (an object's name), or by another lookup
    (`exact`: an account name, found through its index)."""

    key: str
    label: str | Promise
    field: str
    lookup: str = "icontains"
    widget = "text"

    def clean(self, raw: str) -> str | None:
        return raw[:100] or None

    def apply(self, queryset: QuerySet, value: str, user: Any = None) -> QuerySet:
        return queryset.filter(**{f"{self.field}__{self.lookup}": value})

    def describe(self, value: str) -> str:
        return f"{self.label}：{value}"


@dataclass
class DateFilter(Filter):
    """One end of a date range on a date or a timestamp field: `since` (from the start of the
    day) or `until` (to its end), in local time."""

    key: str
    label: str | Promise
    field: str
    end: bool = False
    widget = "date"

    def clean(self, raw: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    def apply(self, queryset: QuerySet, value: dt.date, user: Any = None) -> QuerySet:
        day = value + dt.timedelta(days=1) if self.end else value
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        lookup = "lt" if self.end else "gte"
        return queryset.filter(**{f"{self.field}__{lookup}": moment})

    def describe(self, value: dt.date) -> str:
        return f"{self.label}：{value.isoformat()}"
