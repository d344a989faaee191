"""Rows of cells from an accepted file, numbered as Excel shows them (the header is row 1 when
it is the first row; title rows above it shift everything down, as in Excel).

The header row is found, not assumed: it is the first of the first HEADER_SEARCH_ROWS rows that
holds the template's required columns, so an export with a title, the organization, the filter
and the date above its header imports as it is. Rows above the header are ignored.

.xlsx is read with python-calamine (Rust; the fastest reader for Python), .csv with the csv
module after decoding. The sheet is read once and may be walked several times (the check first
collects the ID numbers, then checks every row). Blank rows are skipped and not counted.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import python_calamine
from django.utils.translation import gettext as _

from heli.members.imports.columns import HEADER_SEARCH_ROWS, HeaderError, match_header
from heli.members.imports.files import FileRefused, decode_csv

MAX_ROWS = 200_000
INSTRUCTIONS_SHEET = "填写说明"


@dataclass
class Sheet:
    """The matched header, and the rows below it as often as they are needed."""

    positions: dict[str, int]
    header_row: int  # as Excel numbers it
    estimated_rows: int  # for the progress bar; blank rows may make the real count smaller
    width: int
    read: Callable[[], Iterator[list]]  # the sheet's rows from the top, anew at each call

    def numbered(self) -> Iterator[tuple[int, list]]:
        """(Excel row number, cells) of every non-blank row below the header."""
        rows = itertools.islice(self.read(), self.header_row, None)
        return _numbered(rows, self.header_row, self.width)


def _blank(cells: list) -> bool:
    return all(cell == "" or cell is None for cell in cells)


def _too_many() -> FileRefused:
    return FileRefused(
        _("The file has more than %(n)s rows of members. Split it into several files.")
        % {"n": f"{MAX_ROWS:,}"}
    )


def _find_header(rows: Iterator[list]) -> tuple[int, dict[str, int], list]:
    """(row number, positions, header cells) of the header row among the first rows. When
    none fits, the problem of the row that came closest is told (not that of a title row)."""
    closest: HeaderError | None = None
    for number, cells in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        if _blank(cells):
            continue
        try:
            return number, match_header(cells), cells
        except HeaderError as exc:
            if closest is None or exc.known > closest.known:
                closest = exc
    if closest is None:
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    raise FileRefused(str(closest))


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
        read, estimated = _xlsx_rows(path)
    else:
        read, estimated = _csv_rows(path)
    header_row, positions, header = _find_header(read())
    estimated = max(0, estimated - header_row)
    if estimated > MAX_ROWS:
        raise _too_many()
    return Sheet(positions, header_row, estimated, len(header), read)


def _xlsx_rows(path: Path) -> tuple[Callable[[], Iterator[list]], int]:
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
    # The sheet is parsed once; walking it again only converts its cells anew.
    return lambda: iter(sheet.iter_rows()), sheet.end[0] + 1


def _csv_rows(path: Path) -> tuple[Callable[[], Iterator[list]], int]:
    text = decode_csv(path.read_bytes())
    if not text.strip():
        raise FileRefused(_("The sheet is empty: it has no header row and no members."))
    return lambda: _csv_guard(csv.reader(io.StringIO(text))), text.count("\n") + 1


def _csv_guard(rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV file is malformed (%(error)s). Save it from Excel again.") % {"error": exc}
        ) from exc
