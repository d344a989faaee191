"""Cutting a sheet's XML before python-calamine reads it, for the sandbox (plain Python, no heli:
the sandbox runs it as a script's neighbour, the worker imports it as a module).

- `trimmed`: a declared used range of millions of blank cells (a column of formulas showing ""
  down to row 1,048,576) is cut after the last row holding a value;
- `split_halves`: a big sheet is written as two uncompressed workbooks of about half its rows
  each, which two processes parse at once.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator

SCAN_BLOCK = 1 << 20


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


# Trimming the blank end of a sheet ----------------------------------------------------------

# A declared used range of more cells than this has its blank end cut off before the library
# sees it: a column of formulas showing "" down to row 1,048,576 makes cells of every row.
TRIM_CELLS = 10_000_000
SPLIT_BYTES = 16 * 1024 * 1024  # a sheet XML this long is parsed in two halves at once
_REAL_VALUE = re.compile(rb"<v>[^<]|<t\b[^>]*>[^<]")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_ROW_START = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')


def _row_blocks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The sheet XML in blocks cut before a `<row`, so that no row is split between two."""
    tail = b""
    with archive.open(part) as xml:
        while block := xml.read(SCAN_BLOCK):
            block = tail + block
            cut = block.rfind(b"<row")
            if cut <= 0:  # one row longer than a block: read on
                tail = block
                continue
            tail = block[cut:]
            yield block[:cut]
    yield tail


def last_value_row(archive: zipfile.ZipFile, part: str) -> int:
    """The last row holding a value (not an empty formula result, not a format)."""
    last = 0
    for block in _row_blocks(archive, part):
        end = len(block)
        while end > 0:  # the block's rows from its end, until one holds a value
            start = block.rfind(b"<row", 0, end)
            if _REAL_VALUE.search(block, max(start, 0), end):
                row = _ROW_START.match(block, start) if start >= 0 else None
                last = int(row.group(1)) if row else last
                break
            end = start
    return last


def trimmed(path: str, part: str, dimension: str | None, out: str) -> str:
    """The workbook with the sheet's rows after its last value removed, written to `out`, when
    its declared used range is huge and mostly blank; else the workbook as it is."""
    corner = re.fullmatch(r"(?:[A-Z]+\d+:)?([A-Z]+)(\d+)", dimension or "")
    if corner is None:
        return path
    rows, cols = int(corner.group(2)), column_number(corner.group(1))
    if rows * cols <= TRIM_CELLS:
        return path
    with zipfile.ZipFile(path) as archive:
        last = last_value_row(archive, part)
        if last > rows // 2:
            return path  # the range is mostly real: nothing worth cutting
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for member in archive.infolist():
                if member.filename != part:
                    copy.writestr(member, archive.read(member.filename))
            with copy.open(part, "w", force_zip64=True) as xml:
                for block in _cut_after(_row_blocks(archive, part), last):
                    xml.write(block)
    return out


def split_halves(path: str, part: str, halves: list[str], least: int = SPLIT_BYTES) -> bool:
    """Two uncompressed copies of the workbook to parse at once, each with about half of the
    sheet's XML: the head, the rows of its half (cut before a `<row`), the tail. False, and
    nothing left, when the sheet's XML is shorter than `least` bytes or has one row."""
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo(part).file_size
        if size < least:
            return False
        with (
            zipfile.ZipFile(halves[0], "w", zipfile.ZIP_STORED, allowZip64=True) as first,
            zipfile.ZipFile(halves[1], "w", zipfile.ZIP_STORED, allowZip64=True) as second,
        ):
            for member in archive.infolist():
                if member.filename != part:
                    data = archive.read(member.filename)
                    first.writestr(member.filename, data)
                    second.writestr(member.filename, data)
            with (
                first.open(part, "w", force_zip64=True) as xml_first,
                second.open(part, "w", force_zip64=True) as xml_second,
            ):
                cut = _write_halves(_row_blocks(archive, part), size // 2, xml_first, xml_second)
    if not cut:
        for half in halves:
            os.remove(half)
    return cut


def _write_halves(blocks: Iterator[bytes], middle: int, first, second) -> bool:
    """The rows before the first `<row` past `middle` to `first`, the others to `second`, the
    head and the tail to both; whether there were rows for both."""
    head: bytes | None = None
    written = 0
    target = first
    block = b""
    for block in blocks:
        low = 1
        if head is None:  # the first block: the head, and maybe rows after it
            at = block.find(b"<row")
            head = block[:at] if at >= 0 else block
            low = len(head) + 1
        if target is first and written + len(block) > middle:
            cut = block.find(b"<row", max(middle - written, low))
            if cut > 0:
                first.write(block[:cut])
                second.write(head)
                block, target = block[cut:], second
        target.write(block)
        written += len(block)
    # The last block (the second half's) ends with </sheetData> and what follows it.
    ends = list(_SHEET_DATA_END.finditer(block))
    if target is first or not ends:
        return False
    first.write(block[ends[-1].start() :])
    return True


def _cut_after(blocks: Iterator[bytes], last: int) -> Iterator[bytes]:
    """The blocks without the rows numbered past `last` (the end of the XML is kept)."""
    cutting = False
    for block in blocks:
        if not cutting:
            for row in _ROW_START.finditer(block):
                if int(row.group(1)) > last:
                    cutting = True
                    yield block[: row.start()]
                    break
            else:
                yield block
        if cutting and (end := block.find(b"</sheetData>")) >= 0:
            yield block[end:]
            return
