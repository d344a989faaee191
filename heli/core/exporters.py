"""Exporters as classes: a subclass yields a header and rows; the base class writes them as
.xlsx or .csv in constant memory, neutralizing cells that a spreadsheet would run as formulas.

A workbook may carry a title block above the header (`SheetInfo`: the list's title, the
organization, the filter, the date): the header row is then repeated on every printed page,
the page is landscape and fits the width, and columns are as wide as their content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import xlsxwriter

from heli.core import exportparts, sheetxml

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = sheetxml.FORMULA_STARTS
# Column widths in characters (a CJK character counts two): at least a short word, at most what
# fits a landscape page without making one column swallow the rest.
MIN_WIDTH, MAX_WIDTH = 6, 50
PROGRESS_EVERY = 1000
# Any size above the part-writer's threshold: asks whether an exporter could be cut at all
# before its rows are counted.
PARALLEL_PROBE = 1 << 62


# Characters no file name may hold on Windows, macOS or Linux (a name is a user's Chinese text,
# e.g. a region "东方/西区": the slash would be a folder, the rest are refused by Windows).
UNSAFE_IN_FILENAMES = set('\\/:*?"<>|')
MAX_FILENAME = 150  # characters; file systems allow 255 bytes, a CJK character takes three


def safe_filename(name: str, fallback: str = "export") -> str:
    """`name` as a download's file name: no path separators, reserved or control characters
    (they become "_"), no leading or trailing dots and spaces, its extension kept when cut.
    Chinese stays: the response sends it as RFC 5987 `filename*`."""
    cleaned = "".join(
        "_" if ch in UNSAFE_IN_FILENAMES or unicodedata.category(ch)[0] == "C" else ch
        for ch in name
    )
    cleaned = " ".join(cleaned.split()).strip(". ")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_FILENAME and len(suffix) <= 8:
        cleaned = f"{stem[: MAX_FILENAME - len(suffix) - 1]}.{suffix}"
    return cleaned[:MAX_FILENAME] if cleaned.strip("._ ") else fallback


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs: formula-like strings get a leading '
    (for CSV; in .xlsx the cell is written as text with Excel's quote-prefix style instead, so
    that the value itself stays what was stored and comes back unchanged when re-imported)."""
    if is_formula_like(value):
        return "'" + value
    return value


def display_width(value: Any) -> int:
    """Width of a cell's text in Excel's character units (CJK and full-width count two)."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = value if isinstance(value, str) else str(value)
    # Chinese characters take three bytes in UTF-8 and ASCII one: (bytes + characters) / 2 is
    # 2 for the one and 1 for the other, computed in C (this runs for every cell of an export).
    return (len(text.encode()) + len(text)) // 2


@dataclass(frozen=True)
class SheetInfo:
    """The block above the header: a title and lines such as the organization, the filter and
    the date (each line one row)."""

    title: str
    lines: tuple[str, ...] = ()


@dataclass
class _Widths:
    widths: list[int] = field(default_factory=list)

    def see(self, row: Iterable[Any]) -> None:
        for c, value in enumerate(row):
            width = display_width(value)
            if c >= len(self.widths):
                self.widths.append(width)
            elif width > self.widths[c]:
                self.widths[c] = width

    def apply(self, sheet) -> None:
        for c, width in enumerate(self.widths):
            sheet.set_column(c, c, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))


class Exporter:
    """Subclasses set `filename` and implement `header()` and `rows()`."""

    filename = "export"
    sheet_name = "Sheet1"

    def header(self) -> list[str]:
        raise NotImplementedError

    def rows(self) -> Iterator[Iterable[Any]]:
        raise NotImplementedError

    def part(self, start: int, stop: int) -> Exporter | None:
        """This exporter over rows `start` to `stop` of its order, for writing a large sheet
        in parts (heli.core.exportparts); None: it cannot be cut."""
        return None

    def count_rows(self) -> int | None:
        """How many rows `rows()` yields, when a part-writer asks (None: unknown)."""
        return None

    def write_xlsx(
        self,
        target: str | IO[bytes],
        info: SheetInfo | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write the workbook to a path or a binary file; returns the number of data rows.

        `progress(rows_written)` is called every PROGRESS_EVERY rows (background exports)."""
        with _Book() as book:
            count = self.write_sheet(book, info, progress)
            book.close(target)
        return count

    def write_sheet(
        self,
        book: _Book,
        info: SheetInfo | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Add this exporter's sheet to `book`; returns the number of data rows."""
        sheet = book.xlsx.add_worksheet(_sheet_title(self.sheet_name))
        formats = book.formats
        header = self.header()
        first = 0
        if info is not None:
            sheet.write_string(0, 0, info.title, formats["title"])
            for i, line in enumerate(info.lines, start=1):
                sheet.write_string(i, 0, line, formats["line"])
            first = len(info.lines) + 2  # a blank row between the block and the header
        sheet.write_row(first, 0, header, formats["header"])
        widths = _Widths()
        widths.see(header)
        sheet.freeze_panes(first + 1, 0)
        sheet.repeat_rows(first)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        sheet.set_footer("&C&P / &N")
        # The rows go to a file of their own, written by sheetxml (xlsxwriter's cell-by-cell
        # writer was most of an export's time); `book.close` puts them into the sheet.
        total = self.count_rows() if exportparts.can_split(self, PARALLEL_PROBE) else None
        parts = None
        if exportparts.can_split(self, total):
            try:
                parts = exportparts.write_parts(
                    self, total, first + 1, book.styles, widths.widths, progress
                )
            except exportparts.ParentConnectionOpen:
                parts = None
        if parts is not None:
            number = len(book.xlsx.worksheets())
            book.rows_of_sheet(number, parts.files, parts.last_row, parts.columns)
            widths.widths[:] = parts.widths
            widths.apply(sheet)
            return parts.count
        rows_file = book.rows_file()
        rows = sheetxml.RowWriter(rows_file, first + 1, book.styles, widths.widths)
        count = 0
        for row in self.rows():
            rows.write(row if isinstance(row, list | tuple) else list(row))
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        rows.flush()
        rows_file.flush()
        book.rows_of_sheet(len(book.xlsx.worksheets()), [rows_file.buffer], rows.row, rows.columns)
        widths.apply(sheet)
        return count

    def to_xlsx(self, info: SheetInfo | None = None) -> bytes:
        """The workbook as bytes, for small exports (reports, one campaign's tasks)."""
        with tempfile.TemporaryFile() as spool:
            self.write_xlsx(spool, info)
            spool.seek(0)
            return spool.read()

    def write_csv(self, target: IO[bytes]) -> int:
        """The rows as CSV to a binary file, as they come; returns the number of data rows."""
        # UTF-8 with BOM: Excel on Chinese Windows opens it without garbling.
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=False)
        try:
            writer = csv.writer(text)
            writer.writerow(self.header())
            count = 0
            for row in self.rows():
                writer.writerow(
                    [
                        ""
                        if v is None
                        else safe_cell(v.isoformat() if isinstance(v, dt.date) else v)
                        for v in row
                    ]
                )
                count += 1
            text.flush()
        finally:
            text.detach()  # the caller's file stays open
        return count

    def to_csv(self) -> bytes:
        buffer = io.BytesIO()
        self.write_csv(buffer)
        return buffer.getvalue()


class Table(Exporter):
    """A sheet of rows already at hand (the parts of a person's record)."""

    def __init__(self, sheet_name: str, header: list[str], rows: Iterable[Iterable[Any]]):
        self.sheet_name, self._header, self._rows = sheet_name, header, list(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def header(self) -> list[str]:
        return self._header

    def rows(self) -> Iterator[Iterable[Any]]:
        yield from self._rows


def book_bytes(sheets: Iterable[Exporter], info: SheetInfo | None = None) -> bytes:
    """One workbook with a sheet per exporter, `info` above the first, as bytes."""
    with tempfile.TemporaryFile() as spool, _Book() as book:
        for i, exporter in enumerate(sheets):
            exporter.write_sheet(book, info if i == 0 else None)
        book.close(spool)
        spool.seek(0)
        return spool.read()


class _Book:
    """A workbook being written: xlsxwriter's package (title blocks, headers, formats, print
    settings, widths) in a temporary file, and each sheet's data rows in another, put
    together by `close` (sheetxml.splice)."""

    def __init__(self):
        self._package = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        self.xlsx = xlsxwriter.Workbook(
            self._package,
            {
                # Strings stay strings: no formula, URL or number guessing on export.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.formats = {
            "title": self.xlsx.add_format({"bold": True, "font_size": 14}),
            "line": self.xlsx.add_format({"font_color": "#555555"}),
            "header": self.xlsx.add_format(
                {"bold": True, "bg_color": "#F6E3E3", "border": 1, "text_wrap": True}
            ),
            "date": self.xlsx.add_format({"num_format": "yyyy-mm-dd", "align": "left"}),
            "datetime": self.xlsx.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left"}),
            "text": self.xlsx.add_format({"quote_prefix": True}),
        }
        # The style numbers the spliced cells name: xlsxwriter gives a format its number (and
        # a place in styles.xml) when a cell first uses it, which here none of its own does.
        self.styles = {
            key: self.formats[key]._get_xf_index() for key in ("date", "datetime", "text")
        }
        self._files: list[IO] = []
        self._sheets: dict[int, tuple[list[IO[bytes]], int, int]] = {}

    def rows_file(self) -> IO[str]:
        rows = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by __exit__)
        self._files.append(rows)
        return rows

    def rows_of_sheet(
        self, number: int, rows: list[IO[bytes]], last_row: int, columns: int
    ) -> None:
        """Sheet `number`'s data rows: the binary files of `<row>` elements, in order."""
        self._files.extend(rows)
        self._sheets[number] = (rows, last_row, columns)

    def close(self, target: str | IO[bytes]) -> None:
        self.xlsx.close()
        self._package.seek(0)
        sheetxml.splice(self._package, target, self._sheets)

    def __enter__(self) -> _Book:
        return self

    def __exit__(self, *exc) -> None:
        for f in [*self._files, self._package]:
            f.close()


# Characters Excel refuses in a sheet's name.
_SHEET_FORBIDDEN = str.maketrans({ch: " " for ch in "[]:*?/\\"})


def _sheet_title(name: str) -> str:
    return str(name).translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet1"
