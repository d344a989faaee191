"""Rows of cells from an accepted file, numbered as Excel shows them (the header is row 1 when
it is the first row; title rows above it shift everything down, as in Excel).

The header row is found, not assumed: it is the first of the first HEADER_SEARCH_ROWS rows that
holds the template's required columns, so an export with a title, the organization, the filter
and the date above its header imports as it is. Rows above the header are ignored.

Workbooks (.xlsx, .xls, .ods) are read with python-calamine (Rust; the fastest reader for
Python) in a child process with memory and time limits (`extract`), which hands back the
sheet's non-blank rows as a compact stream; .csv is read here with the csv module after
decoding. Either way the rows may be walked several times (the check first collects the ID
numbers, then checks every row). Blank rows, down to row 1,048,576, are skipped and not
counted: MAX_ROWS and the progress total are the real count of rows below the header.

A workbook's data sheets are its visible worksheets in order, the template's instructions
left out; the first is read unless another is named. Hidden rows and columns holding data are
imported like the others and reported as warnings (.xlsx and .ods say which they are; calamine
cannot tell for .xls).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.utils.translation import gettext as _

from heli.members.imports.columns import HEADER_OF
from heli.members.imports.extract import extract
from heli.members.imports.files import FileRefused, decode_csv, rows_path_for
from heli.members.imports.headers import (
    HEADER_MIN_KNOWN,
    HEADER_SEARCH_ROWS,
    HeaderMatch,
    match_header,
)
from heli.members.imports.sandbox import (
    INSTRUCTIONS_SHEET,
    column_letters,
    merge,
    non_blank,
    read_rows,
)

MAX_ROWS = 200_000
SHOWN_SPANS = 20  # hidden rows or columns named in a warning; more are summed up as "…"
__all__ = ["INSTRUCTIONS_SHEET", "MAX_ROWS", "Sheet", "open_sheet"]

Numbered = Iterator[tuple[int, list]]


@dataclass
class Sheet:
    """The matched header, and the rows below it as often as they are needed."""

    positions: dict[str, int]
    header_row: int  # as Excel numbers it
    estimated_rows: int  # non-blank rows below the header: the progress total
    width: int
    rows: Callable[[], Numbered]  # (Excel row number, cells) of the non-blank rows, anew
    name: str = ""  # the sheet read; "" for CSV
    sheets: list[str] = field(default_factory=list)  # the workbook's data sheets
    warnings: list[str] = field(default_factory=list)  # translated sentences
    header: HeaderMatch = field(default_factory=HeaderMatch)

    def read(self) -> Iterator[list]:
        """The sheet's rows from the top, blank ones as []."""
        return _from_top(self.rows())

    def numbered(self) -> Numbered:
        """(Excel row number, cells) of every non-blank row below the header."""
        rows = itertools.dropwhile(lambda row: row[0] <= self.header_row, self.rows())
        return _numbered(rows, self.width)


class SheetRefused(FileRefused):
    """The sheet read has no usable header; the workbook's other sheets may have one."""

    def __init__(self, message: str, name: str, sheets: list[str]):
        super().__init__(message)
        self.name = name
        self.sheets = sheets


def _blank(cells: list) -> bool:
    return all(cell == "" or cell is None for cell in cells)


def _too_many() -> FileRefused:
    return FileRefused(
        _("The file has more than %(n)s rows of members. Split it into several files.")
        % {"n": f"{MAX_ROWS:,}"}
    )


def _find_header(rows: Iterator[list], mapping: dict[str, str] | None) -> tuple[int, HeaderMatch]:
    """(row number, match) of the header row among the first rows: the first that gives every
    required column, else the one that recognises the most (the user may complete it on the
    page by mapping its unknown columns). FileRefused when no row looks like a header."""
    best: tuple[int, HeaderMatch] | None = None
    for number, cells in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        if _blank(cells):
            continue
        match = match_header(cells, mapping)
        if not match.missing and not match.twice:
            return number, match
        if best is None or match.known > best[1].known:
            best = (number, match)
    if best is None:
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    number, match = best
    if match.twice:
        raise FileRefused(
            _("These columns appear more than once: %(columns)s. Keep one of each.")
            % {"columns": "、".join(match.twice)}
        )
    if match.known < HEADER_MIN_KNOWN or not match.unknown:
        raise FileRefused(missing_message(match.missing))
    return number, match


def missing_message(missing: list[str]) -> str:
    return _(
        "The column headers of the template must be in one of the first %(n)d rows; "
        "these required columns are missing: %(columns)s."
    ) % {"n": HEADER_SEARCH_ROWS, "columns": "、".join(HEADER_OF[key] for key in missing)}


def _from_top(rows: Numbered) -> Iterator[list]:
    """Numbered rows as the plain rows from row 1, with [] for the blank ones between."""
    expected = 1
    for number, cells in rows:
        while expected < number:
            yield []
            expected += 1
        yield cells
        expected += 1


def _numbered(rows: Numbered, width: int) -> Numbered:
    """Rows padded to the header width (trailing empty cells are not kept) and refused past
    MAX_ROWS (the count is checked when the sheet is opened; this guards the walk)."""
    for count, (number, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise _too_many()
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        yield number, cells


def open_sheet(
    path: Path,
    kind: str,
    sheet: str | None = None,
    heartbeat: Callable[[], None] | None = None,
    mapping: dict[str, str] | None = None,
) -> Sheet:
    """The named data sheet of the file (default: the first), its header read with the
    user's `mapping` of headers (headers.field_of). FileRefused when it is empty, too long,
    unreadable, or too large to read within the limits; `heartbeat` is called every few
    seconds while a workbook is read."""
    name, sheets, hidden = "", [], None
    if kind == "csv":
        rows, count = _csv_rows(path)
    else:
        found = extract(path, kind, rows_path_for(path), sheet, heartbeat or _nothing)
        name, sheets, hidden, count = found.name, found.sheets, found, found.count
        rows = partial(read_rows, found.rows)
    try:
        header_row, header = _find_header(_from_top(rows()), mapping)
    except FileRefused as exc:
        if not name:
            raise
        raise SheetRefused(
            _("Sheet “%(sheet)s”: %(problem)s") % {"sheet": name, "problem": exc}, name, sheets
        ) from exc
    above = sum(1 for _row in itertools.takewhile(lambda row: row[0] <= header_row, rows()))
    below = count - above
    if below > MAX_ROWS:
        raise _too_many()
    result = Sheet(
        header.positions, header_row, below, header.width, rows, name, sheets, header=header
    )
    if hidden is not None:
        result.warnings = _hidden_warnings(name, header_row, header.width, hidden)
    return result


def _nothing() -> None:
    pass


def _csv_rows(path: Path) -> tuple[Callable[[], Numbered], int]:
    text = decode_csv(path.read_bytes())
    if not text.strip():
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))

    def rows() -> Numbered:
        return non_blank(_csv_guard(csv.reader(io.StringIO(text))))

    return rows, sum(1 for _row in rows())


def _csv_guard(rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV file is malformed (%(error)s). Save it from Excel again.") % {"error": exc}
        ) from exc


def _hidden_warnings(sheet: str, header_row: int, width: int, found) -> list[str]:
    """Warnings for hidden rows below the header that hold data, and hidden columns within
    the header's width: they are imported though nobody looking at the sheet sees them."""
    warnings = []
    rows = merge([[n, n] for n in found.hidden_rows if n > header_row])
    if rows:
        warnings.append(
            _(
                "In the sheet “%(sheet)s”, rows %(rows)s are hidden; they are imported like the "
                "others. Unhide them in Excel to check them."
            )
            % {"sheet": sheet, "rows": _spans(rows, str)}
        )
    cols = [[low, min(high, width)] for low, high in merge(found.hidden_cols) if low <= width]
    if cols:
        warnings.append(
            _(
                "In the sheet “%(sheet)s”, columns %(columns)s are hidden; they are imported "
                "like the others. Unhide them in Excel to check them."
            )
            % {"sheet": sheet, "columns": _spans(cols, column_letters)}
        )
    return warnings


def _spans(spans: list[list[int]], show: Callable[[int], str]) -> str:
    """3, 5–7, 10 (the first SHOWN_SPANS, then …)."""
    shown = [show(a) if a == b else f"{show(a)}–{show(b)}" for a, b in spans[:SHOWN_SPANS]]
    return ", ".join(shown) + (", …" if len(spans) > SHOWN_SPANS else "")
