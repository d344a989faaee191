"""Member dates known only to the month, and the calendar rules member dates obey.

Rosters write 入党时间 as 2010.07 or 2010年7月: the day was never recorded. DECISION: such a
date is stored as the first of its month with the field's bit set in `Member.month_dates`, and
shown as year-month, "2010-07", everywhere it is shown (member page, lists, exports; an export
writes the same text, so it imports back as a year-month). A date typed in the member form is
exact: editing a date there clears its bit. A year-month birth date that agrees with the ID
number takes the exact date from the number instead (no bit).

Comparisons involving a month-only date are made by month, so a rule never fails a member
because of a day nobody recorded.
"""

from __future__ import annotations

import datetime as dt

# One bit per date field in Member.month_dates (the values are stored: never renumber).
BITS: dict[str, int] = {
    "joined_on": 1,
    "full_on": 2,
    "reported_on": 4,
    "floating_since": 8,
    "birth_date": 16,
}
ALL_BITS = sum(BITS.values())


def month_only(mask: int, field: str) -> bool:
    """Whether `field`'s date is known only to the month."""
    return bool(mask & BITS[field])


def with_bit(mask: int, field: str, on: bool) -> int:
    """`mask` with `field`'s bit set (`on`) or cleared."""
    return mask | BITS[field] if on else mask & ~BITS[field]


def month_text(day: dt.date) -> str:
    """A year-month as every page and export shows it: 2010-07."""
    return f"{day.year:04d}-{day.month:02d}"


def shown(day: dt.date | None, mask: int, field: str) -> str:
    """A member's date as text: 2010-07 when known only to the month, else 2010-07-01."""
    if day is None:
        return ""
    return month_text(day) if mask & BITS[field] else day.isoformat()


def member_date(member: object, field: str) -> dt.date | str | None:
    """A member's date for a list or an export: the date itself when exact (spreadsheets keep
    it a date), the year-month text when known only to the month."""
    day = getattr(member, field)
    if day is not None and getattr(member, "month_dates", 0) & BITS[field]:
        return month_text(day)
    return day


def same_month(a: dt.date, b: dt.date) -> bool:
    return a.year == b.year and a.month == b.month


def months(day: dt.date) -> int:
    """The month's number since year 0, for comparing by month."""
    return day.year * 12 + day.month - 1


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 1 March in a common year (the day a
    person born on 29 February comes of age in law)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def latest(day: dt.date, monthly: bool) -> dt.date:
    """The latest day a date could be: the end of its month when known only to the month."""
    return month_end(day) if monthly else day


def before_by(earlier_than: dt.date, monthly: bool, limit: dt.date, limit_monthly: bool) -> bool:
    """Whether `earlier_than` is surely before `limit`: by day when both are exact, by month
    when either is known only to the month (the same month is never "before")."""
    if monthly or limit_monthly:
        return months(earlier_than) < months(limit)
    return earlier_than < limit
