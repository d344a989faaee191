"""Reading single cells: text as the user typed it, and dates in every spelling offices use.

Cells arrive as python-calamine gives them (str, int, float, bool, date, datetime, "" for an
empty cell) or as CSV text. Dates accept date cells, Excel serial numbers (45474, also typed
as text), 2024-07-01, 2024/7/1, 2024.7.1, 2024年7月1日 and 20240701.

Exports neutralize text a spreadsheet would run as a formula with a leading ' (`safe_cell`);
`quoted` and `unquoted` make that reversible, so an exported value imports back as it was.
"""

from __future__ import annotations

import datetime as dt
import re

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


def _from_text(raw: str) -> dt.date | None:
    value = raw.strip().translate(FULL_WIDTH)
    match = SEPARATED.fullmatch(value) or COMPACT.fullmatch(value)
    if match is not None:
        try:
            return _plausible(dt.date(*(int(part) for part in match.groups())))
        except ValueError:
            return None
    if SERIAL.fullmatch(value):
        return _from_serial(float(value))
    return None


def parse_date(value: object) -> dt.date | None:
    """The date a cell holds, or None when it is blank or not a plausible date."""
    if isinstance(value, dt.datetime):
        return _plausible(value.date())
    if isinstance(value, dt.date):
        return _plausible(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_serial(value)
    if isinstance(value, str):
        return _from_text(value)
    return None  # times and durations


class DateReader:
    """Parses date cells, remembering each distinct value: a file repeats the same dates (the
    day a branch was founded, a batch's joining day) and a dict lookup beats a regex. (True
    and 1 share a key; both are no date.)"""

    def __init__(self) -> None:
        self._seen: dict[object, dt.date | None] = {"": None}

    def __call__(self, value: object) -> dt.date | None:
        try:
            return self._seen[value]
        except KeyError:
            day = self._seen[value] = parse_date(value)
            return day
        except TypeError:  # unhashable: never from a reader, but do not crash on it
            return None
