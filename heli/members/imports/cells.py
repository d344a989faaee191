"""Reading single cells: text as the user typed it, and dates in every spelling offices use.

Cells arrive as python-calamine gives them (str, int, float, bool, date, datetime, "" for an
empty cell) or as CSV text. Dates accept date cells, Excel serial numbers (45474, also typed
as text), 2024-07-01, 2024/7/1, 2024.7.1, 2024年7月1日 and 20240701.

Year-months (2023.05, 2023.5, 2023-5, 2023/05, 2023年5月, 202305) are dates known only to the
month: read as the first of the month and flagged, so the member keeps the field's bit in
`month_dates` and every page shows "2023-05" (heli.members.dates says why).

A number in a cell that is not date-typed (a date-typed cell arrives as a date) is read by its
shape, never blindly as a serial, or 2023.05 in a General cell would be 1905-07-15:
- 3654..73415: an Excel serial (1910-01-01 .. 2100-12-31);
- 190001..210012: a year-month; 19000101..21001231: a date written yyyymmdd;
- a fraction after a year (2023.05, 2023.5, 2023.12): a year-month, except 2023.1, which is
  January or an October Excel shortened from 2023.10: refused, asking for a text column;
- a bare year (2023): refused, the month is missing; any other number: refused.

Exports neutralize text a spreadsheet would run as a formula with a leading ' (`safe_cell`);
`quoted` and `unquoted` make that reversible, so an exported value imports back as it was.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext_noop

from heli.core.exporters import FORMULA_STARTS

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's 1900-02-29
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
FULL_WIDTH = str.maketrans("０１２３４５６７８９．／－：", "0123456789./-:")
SEPARATED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
COMPACT_MONTH = re.compile(r"(19\d{2}|20\d{2}|2100)(0[1-9]|1[0-2])")
YEAR = re.compile(r"(?:19|20)\d{2}|2100")
# Excel serials read as dates: 1910-01-01 .. 2100-12-31. Below lie bare years and small
# numbers, which are no dates anyone keeps in a roster.
FIRST_SERIAL, LAST_SERIAL = 3654, 73415

NOT_A_DATE = gettext_noop("“%(value)s” is not a date; write it like 2024-07-01.")
NOT_A_NUMBER_DATE = gettext_noop(
    "The number %(value)s in this cell is not a date: write it like 2024-07-01, or a year "
    "and month like 2024-07."
)
AMBIGUOUS = gettext_noop(
    "The number %(value)s could be January, or October typed as %(value)s0 and shortened by "
    "Excel. Format the column as text and type the date again, e.g. 2024-10 or 2024-01."
)
YEAR_ONLY = gettext_noop(
    "“%(value)s” is only a year: the month is missing. Write the year and month, e.g. %(value)s-07."
)
Reading = tuple[dt.date | None, bool, str]
NO_DATE: Reading = (None, False, NOT_A_DATE)


def text(value: object) -> str:
    """A cell as trimmed text. Whole numbers lose the '.0' Excel gives digits typed into a
    number cell (phones, codes)."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    return str(value).strip()


def _formula_like(value: str) -> bool:
    """Whether the value, after any leading quotes, starts like a formula."""
    return value.lstrip("'").startswith(FORMULA_STARTS)


def quoted(value: str) -> str:
    """Text for an export cell, quoted so that `unquoted` gives `value` back after the
    exporter's `safe_cell` (which adds one ' before a formula start). A value that starts with
    ' before a formula start gets one more, or the import would take its own ' away."""
    if value.startswith("'") and _formula_like(value):
        return "'" + value
    return value


def unquoted(value: str) -> str:
    """A text cell as it was before the export neutralized it: one leading ' goes when a
    formula start follows it (after any further quotes). "'=张三" is "=张三", "'abc" stays."""
    if value.startswith("'") and _formula_like(value):
        return value[1:]
    return value


def _plausible(day: dt.date) -> dt.date | None:
    return day if EARLIEST <= day <= LATEST else None


def _from_serial(number: float) -> dt.date | None:
    try:
        return _plausible(EXCEL_EPOCH + dt.timedelta(days=int(number)))
    except OverflowError:
        return None


def _day(year: int, month: int, day: int = 1) -> dt.date | None:
    try:
        return _plausible(dt.date(year, month, day))
    except ValueError:
        return None


def _year_month(year: int, month: int) -> Reading:
    day = _day(year, month)
    return (day, True, "") if day is not None else NO_DATE


def _from_text(raw: str) -> Reading:
    value = raw.strip().translate(FULL_WIDTH)
    match = SEPARATED.fullmatch(value) or COMPACT.fullmatch(value)
    if match is not None:
        day = _day(*(int(part) for part in match.groups()))
        return (day, False, "") if day is not None else NO_DATE
    match = YEAR_MONTH.fullmatch(value) or COMPACT_MONTH.fullmatch(value)
    if match is not None:
        return _year_month(int(match[1]), int(match[2]))
    if YEAR.fullmatch(value):
        return (None, False, YEAR_ONLY)
    if SERIAL.fullmatch(value):  # a serial typed as text: the same ranges as a number
        return _from_number(float(value))
    return NO_DATE


def _from_number(number: float) -> Reading:
    """A number from a cell that is not date-typed (calamine gives those as dates). See the
    module's docstring for the ranges; a year-month is never read as a serial."""
    if number.is_integer():
        whole = int(number)
        if FIRST_SERIAL <= whole <= LAST_SERIAL:
            return _from_serial(whole), False, ""
        if 190001 <= whole <= 210012:
            return _year_month(whole // 100, whole % 100)
        if 19000101 <= whole <= 21001231:
            day = _day(whole // 10000, whole // 100 % 100, whole % 100)
            return (day, False, "") if day is not None else NOT_A_NUMBER_DATE
        if 1900 <= whole <= 2100:
            return (None, False, YEAR_ONLY)
        return (None, False, NOT_A_NUMBER_DATE)
    if 1900 <= number < 2101:  # a year-month typed into a General cell: 2023.05
        fraction = repr(number).partition(".")[2]
        if fraction == "1":
            return (None, False, AMBIGUOUS)
        if len(fraction) <= 2 and 1 <= int(fraction) <= 12:
            return _year_month(int(number), int(fraction))
        return (None, False, NOT_A_NUMBER_DATE)
    if FIRST_SERIAL <= number < LAST_SERIAL + 1:  # a date and time as a serial
        return _from_serial(number), False, ""
    return (None, False, NOT_A_NUMBER_DATE)


def read_date(value: object) -> Reading:
    """(date, known only to the month, why it is not a date) for a cell: the date is None when
    the cell is blank or not a plausible date, and then the reason is a msgid (or "")."""
    if isinstance(value, dt.datetime):
        day = _plausible(value.date())
    elif isinstance(value, dt.date):
        day = _plausible(value)
    elif isinstance(value, bool):
        return NO_DATE
    elif isinstance(value, int | float):
        return _from_number(float(value))
    elif isinstance(value, str):
        return _from_text(value) if value.strip() else (None, False, "")
    else:
        return NO_DATE  # times and durations
    return (day, False, "") if day is not None else NO_DATE


def parse_date(value: object) -> dt.date | None:
    """The date a cell holds (the first of the month for a year-month), or None when it is
    blank or not a plausible date."""
    return read_date(value)[0]


class DateReader:
    """Parses date cells, remembering each distinct value: a file repeats the same dates (the
    day a branch was founded, a batch's joining day) and a dict lookup beats a regex. (True
    and 1 share a key; both are no date.) Values read as a year-month are kept in `monthly`,
    and why a value is not a date in `reasons`: the row checker asks only when it must."""

    def __init__(self) -> None:
        self._seen: dict[object, dt.date | None] = {"": None}
        self.monthly: set[object] = set()
        self.reasons: dict[object, str] = {}

    def __call__(self, value: object) -> dt.date | None:
        try:
            return self._seen[value]
        except KeyError:
            day, monthly, reason = read_date(value)
            if monthly:
                self.monthly.add(value)
            if reason:
                self.reasons[value] = reason
            self._seen[value] = day
            return day
        except TypeError:  # unhashable: never from a reader, but do not crash on it
            return None

    def reason(self, value: object) -> str:
        """The msgid saying why a value read as no date is not one ("" for blank)."""
        try:
            return self.reasons.get(value, "")
        except TypeError:
            return NOT_A_DATE
