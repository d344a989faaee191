"""How many ID numbers agree with what a user sees of one person: the measure of a mask.

A mask is judged with everything else the same user sees (the issue's rule: at least 10^4
candidates). The attacker is assumed to know the zone's 4-digit city prefix; the county
digits (5–6) are then 100 possibilities. What a page shows narrows the rest: characters of
the mask, the birth date (a day, a month, a year, or nothing), the gender (the parity of
the 17th digit). The check digit (18th) follows from the first 17; when the mask shows it,
only the combinations that produce it remain.

Counted without listing the numbers: each free digit adds its weight times its value to the
GB 11643 sum, so the counts are kept per sum modulo 11 and combined position by position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from heli.members.idcard import CHECK_CODES, WEIGHTS

CITY = "3204"  # the zone's city prefix, known to any attacker


@dataclass(frozen=True)
class Seen:
    """What a user sees of one person's number and birth."""

    shown: str  # the mask as shown, 18 characters, "*" where hidden
    birth_days: tuple[dt.date, ...]  # every birth date that agrees with what is shown
    gender: str = ""  # "M", "F" or "" when not shown


def days_between(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def month_of(day: dt.date) -> tuple[dt.date, ...]:
    """Every day of the month of `day` (what a year-month shows)."""
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return days_between(day.replace(day=1), following - dt.timedelta(days=1))


def year_of(day: dt.date) -> tuple[dt.date, ...]:
    return days_between(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def _digits_at(position: int, seen: Seen) -> Iterable[int]:
    """The digits position `position` (0-based, below 17) may hold, birth digits aside."""
    shown = seen.shown[position]
    if shown != "*":
        return (int(shown),)
    if position < len(CITY):
        return (int(CITY[position]),)
    if position == 16 and seen.gender:
        return tuple(d for d in range(10) if (d % 2 == 1) == (seen.gender == "M"))
    return range(10)


def _combine(counts: list[int], options: Iterable[int]) -> list[int]:
    """Counts per weighted sum modulo 11, after one more part taking each of `options`
    (its contributions to the sum modulo 11)."""
    combined = [0] * 11
    for remainder, count in enumerate(counts):
        if count:
            for added in options:
                combined[(remainder + added) % 11] += count
    return combined


def candidates(seen: Seen) -> int:
    """The number of valid ID numbers that agree with `seen`."""
    counts = [1] + [0] * 10
    for position in (*range(6), 14, 15, 16):
        weight = WEIGHTS[position]
        counts = _combine(counts, [weight * d for d in _digits_at(position, seen)])
    births = []
    for day in seen.birth_days:
        digits = f"{day:%Y%m%d}"
        if all(s in ("*", d) for s, d in zip(seen.shown[6:14], digits, strict=True)):
            births.append(sum(int(d) * w for d, w in zip(digits, WEIGHTS[6:14], strict=True)))
    counts = _combine(counts, births)
    check = seen.shown[17]
    if check == "*":
        return sum(counts)
    return sum(count for remainder, count in enumerate(counts) if CHECK_CODES[remainder] == check)
