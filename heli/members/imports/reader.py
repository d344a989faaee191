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
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
from django.utils.translation import gettext as _

from heli.members.imports.columns import HEADER_OF
from heli.members.imports.files import FileRefused, decode_csv
from heli.members.imports.headers import (
    HEADER_MIN_KNOWN,
    HEADER_SEARCH_ROWS,
    HeaderMatch,
    match_header,
)

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
    header: HeaderMatch = field(default_factory=HeaderMatch)

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


def open_sheet(path: Path, kind: str, mapping: dict[str, str] | None = None) -> Sheet:
    """The data sheet of the file, its header read with the user's `mapping` of headers
    (headers.field_of). FileRefused when it is empty, too long or unreadable."""
    if kind == "xlsx":
        read, estimated = _xlsx_rows(path)
    else:
        read, estimated = _csv_rows(path)
    header_row, header = _find_header(read(), mapping)
    estimated = max(0, estimated - header_row)
    if estimated > MAX_ROWS:
        raise _too_many()
    return Sheet(header.positions, header_row, estimated, header.width, read, header)


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
