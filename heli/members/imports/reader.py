"""Rows of cells from an accepted file, numbered as Excel shows them (the header is row 1 when
it is the first row; a title row above it shifts everything down, as in Excel).

.xlsx is read with python-calamine (Rust; the fastest reader for Python), .csv with the csv
module after decoding. Blank rows are skipped and not counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import python_calamine
from django.utils.translation import gettext as _

from heli.members.imports.columns import HeaderError, match_header
from heli.members.imports.files import FileRefused, decode_csv

MAX_ROWS = 200_000
# A title row (e.g. “某某党支部党员信息表”) may stand above the header: look this far down.
HEADER_SEARCH_ROWS = 10
INSTRUCTIONS_SHEET = "填写说明"


@dataclass
class Sheet:
    """The matched header and an iterator of (Excel row number, cells) below it."""

    positions: dict[str, int]
    rows: Iterator[tuple[int, list]]
    estimated_rows: int  # for the progress bar; blank rows may make the real count smaller
    width: int


def _blank(cells: list) -> bool:
    return all(cell == "" or cell is None for cell in cells)


def _too_many() -> FileRefused:
    return FileRefused(
        _("The file has more than %(n)s rows of members. Split it into several files.")
        % {"n": f"{MAX_ROWS:,}"}
    )


def _find_header(rows: Iterator[list]) -> tuple[int, dict[str, int], list]:
    """(row number, positions, header cells) of the header row among the first rows."""
    first_error: HeaderError | None = None
    for number, cells in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        if _blank(cells):
            continue
        try:
            return number, match_header(cells), cells
        except HeaderError as exc:
            first_error = first_error or exc
    if first_error is None:
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    raise FileRefused(str(first_error))


def _numbered(rows: Iterator[list], after: int, width: int) -> Iterator[tuple[int, list]]:
    """Non-blank rows below the header with their Excel numbers, padded to the header width
    (CSV rows may be short) and refused past MAX_ROWS."""
    count = 0
    for number, cells in enumerate(rows, start=after + 1):
        # Most rows start with a name: test one cell before testing them all.
        if (not cells or cells[0] == "") and _blank(cells):
            continue
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        count += 1
        if count > MAX_ROWS:
            raise _too_many()
        yield number, cells


def open_sheet(path: Path, kind: str) -> Sheet:
    """The data sheet of the file. FileRefused when it is empty, too long or unreadable."""
    if kind == "xlsx":
        rows, estimated = _xlsx_rows(path)
    else:
        rows, estimated = _csv_rows(path)
    header_row, positions, header = _find_header(rows)
    estimated = max(0, estimated - header_row)
    if estimated > MAX_ROWS:
        raise _too_many()
    width = len(header)
    return Sheet(positions, _numbered(rows, header_row, width), estimated, width)


def _xlsx_rows(path: Path) -> tuple[Iterator[list], int]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = [
            m.name
            for m in book.sheets_metadata
            if m.typ == python_calamine.SheetTypeEnum.WorkSheet
            and m.visible == python_calamine.SheetVisibleEnum.Visible
        ]
        data_sheets = [n for n in names if n != INSTRUCTIONS_SHEET] or names
        if not data_sheets:
            raise FileRefused(_("The workbook has no visible worksheet."))
        sheet = book.get_sheet_by_name(data_sheets[0])
    except python_calamine.CalamineError as exc:
        raise FileRefused(
            _("The workbook cannot be read (%(error)s). Save it from Excel again.")
            % {"error": type(exc).__name__}
        ) from exc
    if sheet.end is None:
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    # iter_rows counts rows from the top of the sheet (row 1), so positions match Excel's.
    return iter(sheet.iter_rows()), sheet.end[0] + 1


def _csv_rows(path: Path) -> tuple[Iterator[list], int]:
    text = decode_csv(path.read_bytes())
    if not text.strip():
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    rows = csv.reader(io.StringIO(text))
    return _csv_guard(rows), text.count("\n") + 1


def _csv_guard(rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV file is malformed (%(error)s). Save it from Excel again.") % {"error": exc}
        ) from exc
