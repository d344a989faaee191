"""Exporters as classes: a subclass yields a header and rows; the base class writes them as
.xlsx (constant memory) or .csv, neutralizing cells that a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value a spreadsheet shows as text, never runs: formula-like strings get a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Exporter:
    """Subclasses set `filename` and implement `header()` and `rows()`."""

    filename = "export"
    sheet_name = "Sheet1"

    def header(self) -> list[str]:
        raise NotImplementedError

    def rows(self) -> Iterator[Iterable[Any]]:
        raise NotImplementedError

    def to_xlsx(self) -> bytes:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(
            buffer,
            {
                "constant_memory": True,
                "in_memory": True,
                # Strings stay strings: no formula, URL or number guessing on export.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = book.add_worksheet(self.sheet_name[:31])
        bold = book.add_format({"bold": True, "bg_color": "#F6E3E3"})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        header = self.header()
        sheet.write_row(0, 0, header, bold)
        sheet.set_column(0, len(header) - 1, 14)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(self.rows(), start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(
                        r, c, dt.datetime(value.year, value.month, value.day), date_format
                    )
                elif value is None:
                    sheet.write_blank(r, c, None)
                elif isinstance(value, str):
                    sheet.write_string(r, c, safe_cell(value))
                else:
                    sheet.write(r, c, value)
        book.close()
        return buffer.getvalue()

    def to_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header())
        for row in self.rows():
            writer.writerow(
                [
                    "" if v is None else safe_cell(v.isoformat() if isinstance(v, dt.date) else v)
                    for v in row
                ]
            )
        # UTF-8 with BOM: Excel on Chinese Windows opens it without garbling.
        return ("\ufeff" + buffer.getvalue()).encode()
