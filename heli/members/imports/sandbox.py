"""The child program that reads one sheet of a workbook, run by `extract` under memory and time
limits: a sheet that makes the spreadsheet library ask for gigabytes (a stray value in cell
AMJ1048576 of a 5-row sheet) kills this process, not the worker.

Plain Python and python_calamine only, never Django: it starts fast, and nothing of the
worker's (its database connection, its settings) is within reach of a hostile file. It is run
as a script (`python -I sandbox.py REQUEST`), so it imports nothing of heli either; the parent
imports it for the scans and the stream format, which are shared.

What it writes:
- on stdout, a first JSON line as soon as the workbook's sheets are known (the data sheets,
  the one to read and, for .xlsx, the sheet's declared used range), so that the parent can
  name the sheet and its range even if the read then kills this process; then a last JSON line
  with the count of non-blank rows and the hidden rows and columns that matter;
- to the output file, the NON-BLANK rows only as pickled chunks of (Excel row number, cells),
  trailing empty cells dropped: blank rows below the data cost nothing downstream.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import json
import os
import pickle
import re
import resource
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from xml.etree import ElementTree

import python_calamine

if __package__:  # imported by the worker, as heli.members.imports.sandbox
    from heli.members.imports.sheetcuts import (
        SCAN_BLOCK,
        SPLIT_BYTES,
        column_number,
        split_halves,
        trimmed,
    )
else:  # run as a script (python -I sandbox.py): its neighbour, found by the script's folder
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sheetcuts import SCAN_BLOCK, SPLIT_BYTES, column_number, split_halves, trimmed

INSTRUCTIONS_SHEET = "填写说明"
CHUNK = 2000  # rows per pickled chunk
ODS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODS_TABLE, ODS_ROW, ODS_COL = f"{{{ODS}}}table", f"{{{ODS}}}table-row", f"{{{ODS}}}table-column"
ODS_CELLS = (f"{{{ODS}}}table-cell", f"{{{ODS}}}covered-table-cell")
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
ALLOWED_GLOBALS = {("datetime", name) for name in ("date", "datetime", "time", "timedelta")}

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_COL_SPAN = re.compile(rb'\bmin="(\d+)"[^>]*\bmax="(\d+)"|\bmax="(\d+)"[^>]*\bmin="(\d+)"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Z0-9:]+)"')


# The stream of rows, shared with the parent ------------------------------------------------


def write_rows(out: io.BufferedWriter, rows: Iterator[tuple[int, list]]) -> tuple[int, list]:
    """Pickle the rows in chunks; (count, row numbers) of what was written. Equal texts in a
    chunk are made one object, which pickle then writes once and refers to: "汉族", "正式党员"
    and the like repeat on every row, so the stream shrinks by half and reads back several
    times faster."""
    chunk: list[tuple[int, list]] = []
    numbers: list[int] = []
    seen: dict[str, str] = {}
    share = seen.setdefault
    for number, cells in rows:
        # Only texts: 1, 1.0 and True are equal keys and must keep their types.
        chunk.append((number, [c if c.__class__ is not str else share(c, c) for c in cells]))
        numbers.append(number)
        if len(chunk) == CHUNK:
            pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
            chunk = []
            seen.clear()
    if chunk:
        pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
    return len(numbers), numbers


class _CellsOnly(pickle.Unpickler):
    """The stream holds cells: strings, numbers, booleans and datetime values, nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")
        return getattr(dt, name)


def read_rows(data: bytes) -> Iterator[tuple[int, list]]:
    """(Excel row number, cells) of the non-blank rows, from the top, out of what
    `write_rows` wrote."""
    stream = io.BytesIO(data)  # shares the bytes: each walk costs no copy
    while stream.tell() < len(data):
        # One unpickler per chunk: each was pickled with a memo of its own.
        yield from _CellsOnly(stream).load()


def non_blank(rows: Iterator[list], first: int = 1) -> Iterator[tuple[int, list]]:
    """Numbered rows that hold something, without their trailing empty cells."""
    for number, cells in enumerate(rows, start=first):
        width = len(cells)
        if cells.count("") == width:
            continue
        while cells[width - 1] == "":
            width -= 1
        yield number, cells[:width] if width < len(cells) else cells


# Cheap scans of a sheet's XML ---------------------------------------------------------------


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_sheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip member holding the worksheet called `name`."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_RELS}Relationship")}
    for sheet in book.iter(f"{MAIN}sheet"):
        if sheet.get("name") == name:
            target = targets.get(sheet.get(RELS), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target) if target else None
    return None


def _tags(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The sheet XML in blocks cut after a '>', so that no tag is split between two."""
    tail = b""
    with archive.open(part) as xml:
        while block := xml.read(SCAN_BLOCK):
            block = tail + block
            cut = block.rfind(b">") + 1
            tail = block[cut:]
            yield block[:cut]
    yield tail


def xlsx_dimension(archive: zipfile.ZipFile, part: str) -> str | None:
    """The used range the sheet declares (`<dimension ref>`, before the data)."""
    with archive.open(part) as xml:
        head = xml.read(4096)
    found = _DIMENSION.search(head)
    return found.group(1).decode() if found else None


def xlsx_extent(archive: zipfile.ZipFile, part: str) -> str | None:
    """The farthest cell written in the sheet, found by scanning its XML (when the sheet
    declares no used range)."""
    rows = cols = 0
    for block in _tags(archive, part):
        for letters, number in _CELL_REF.findall(block):
            rows = max(rows, int(number))
            cols = max(cols, column_number(letters.decode()))
    return f"{column_letters(cols)}{rows}" if rows else None


def xlsx_hidden(archive: zipfile.ZipFile, part: str) -> tuple[list[int], list[list[int]]]:
    """Rows marked hidden, and hidden column spans [first, last], from the sheet XML."""
    rows: list[int] = []
    cols: list[list[int]] = []
    for block in _tags(archive, part):
        if b"hidden=" not in block:
            continue
        for tag in _ROW_TAG.findall(block):
            if _HIDDEN.search(tag) and (number := _ROW_NUMBER.search(tag)):
                rows.append(int(number.group(1)))
        for tag in _COL_TAG.findall(block):
            if _HIDDEN.search(tag) and (span := _COL_SPAN.search(tag)):
                low, high = (span.group(1), span.group(2)) if span.group(1) else span.group(4, 3)
                cols.append([int(low), int(high)])
    return rows, cols


def ods_hidden(path: str, name: str) -> tuple[list[list[int]], list[list[int]]]:
    """Hidden (collapsed or filtered) row and column spans of the sheet called `name`."""
    spans: dict[str, list[list[int]]] = {ODS_ROW: [], ODS_COL: []}
    counted = {ODS_ROW: 0, ODS_COL: 0}
    repeats = {
        ODS_ROW: f"{{{ODS}}}number-rows-repeated",
        ODS_COL: f"{{{ODS}}}number-columns-repeated",
    }
    inside = False
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as xml:
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            tag = element.tag
            if tag == ODS_TABLE:
                if event == "end" and inside:
                    break
                inside = element.get(f"{{{ODS}}}name") == name
            elif inside and event == "start" and tag in spans:
                repeat = int(element.get(repeats[tag], "1"))
                first = counted[tag] + 1
                counted[tag] += repeat
                if element.get(f"{{{ODS}}}visibility", "visible") != "visible":
                    spans[tag].append([first, first + repeat - 1])
            if event == "end" and tag != ODS_TABLE:
                element.clear()
    return spans[ODS_ROW], spans[ODS_COL]


def merge(spans: list[list[int]]) -> list[list[int]]:
    """Sorted spans [first, last] with touching ones joined."""
    merged: list[list[int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


# The program --------------------------------------------------------------------------------


def _say(**message) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _limit_memory(megabytes: int) -> None:
    size = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core dump behind


def data_sheets(book: python_calamine.CalamineWorkbook) -> list[str]:
    """Visible worksheets in order, the template's instructions sheet left out."""
    names = [
        m.name
        for m in book.sheets_metadata
        if m.typ == python_calamine.SheetTypeEnum.WorkSheet
        and m.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    return [n for n in names if n != INSTRUCTIONS_SHEET] or names


def _hidden(path: str, kind: str, name: str, part: str | None):
    """(hidden row spans, hidden column spans, whether the format tells)."""
    if kind == "xlsx" and part is not None:
        with zipfile.ZipFile(path) as archive:
            rows, cols = xlsx_hidden(archive, part)
        return merge([[r, r] for r in rows]), cols, True
    if kind == "ods":
        rows, cols = ods_hidden(path, name)
        return rows, cols, True
    return [], [], False


class _Scan(threading.Thread):
    """_hidden in a thread; result() joins it and gives its answer or raises its error."""

    def __init__(self, *args: object) -> None:
        super().__init__(daemon=True)
        self.args = args
        self.answer: tuple | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.answer = _hidden(*self.args)
        except BaseException as exc:  # handed to the main thread by result()
            self.error = exc

    def result(self) -> tuple:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


def _rows(path: str, name: str) -> Iterator[list]:
    """The sheet's rows from row 1, their cells from column A. (calamine pads the rows above
    the first used one, not the columns left of the first used one: a sheet whose column A
    is empty, or a half of a sheet, would otherwise start its cells elsewhere.)"""
    sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(name)
    if sheet.end is None:
        return iter(())
    rows = sheet.iter_rows()
    left = sheet.start[1]
    return ([*[""] * left, *row] for row in rows) if left else rows


def halves_of(trim: str) -> list[str]:
    """The two uncompressed halves of a big workbook (split_halves), beside its trimmed copy."""
    return [f"{trim}.1", f"{trim}.2"]


def second_half_of(out: str) -> tuple[str, str]:
    """Where the forked process writes the second half's rows, and their count and numbers."""
    return f"{out}.2", f"{out}.2.json"


def leftovers(trim: str, out: str) -> list[str]:
    """Every file but `out` a read writes: removed by the read, and by `extract` when the
    read dies midway (the rows are in clear)."""
    return [trim, *halves_of(trim), *second_half_of(out)]


def _read_second_half(path: str, name: str, out: str) -> None:
    """In the forked process: the second half's rows and what they are (second_half_of);
    exit 0 when done, 1 when anything failed."""
    code = 1
    rows_path, said_path = second_half_of(out)
    try:
        with open(rows_path, "wb") as rows_out:
            count, numbers = write_rows(rows_out, non_blank(_rows(path, name)))
        with open(said_path, "w") as said:
            json.dump({"count": count, "numbers": numbers}, said)
        code = 0
    finally:
        os._exit(code)


def _join_second_half(child: int, out_path: str, out: io.BufferedWriter) -> tuple[int, list]:
    """Wait for the second half and append its rows (pickled chunks follow one another);
    its (count, row numbers)."""
    _pid, status = os.waitpid(child, 0)
    if status != 0:
        raise SystemExit(1)  # as if this process had died: the job says so (extract)
    rows_path, said_path = second_half_of(out_path)
    with open(rows_path, "rb") as rows_in:
        while block := rows_in.read(SCAN_BLOCK):
            out.write(block)
    with open(said_path) as said:
        second = json.load(said)
    return second["count"], second["numbers"]


def main(request: dict) -> None:
    _limit_memory(request["memory_mb"])
    path, kind = request["path"], request["kind"]
    try:
        book = python_calamine.CalamineWorkbook.from_path(path)
        sheets = data_sheets(book)
        if not sheets:
            _say(error="no_sheet")
            return
        name = request.get("sheet") or sheets[0]
        if name not in sheets:
            _say(error="missing_sheet", sheets=sheets, name=name)
            return
        part = dimension = None
        if kind == "xlsx":
            with zipfile.ZipFile(path) as archive:
                part = xlsx_sheet_part(archive, name)
                dimension = xlsx_dimension(archive, part) if part else None
        _say(sheets=sheets, name=name, part=part, dimension=dimension)
        if part is not None:
            path = trimmed(path, part, dimension, request["trim"])
        halves = halves_of(request["trim"])
        least = request.get("split_bytes", SPLIT_BYTES)
        split = part is not None and split_halves(path, part, halves, least)
        second = os.fork() if split else 0
        if split and second == 0:
            _read_second_half(halves[1], name, request["out"])  # never returns
        # calamine parses without holding the GIL: the scan for hidden rows and columns runs
        # meanwhile, in a thread.
        hidden = _Scan(path, kind, name, part)
        hidden.start()
        with open(request["out"], "wb") as out:
            count, numbers = write_rows(out, non_blank(_rows(halves[0] if split else path, name)))
            if split:
                more, more_numbers = _join_second_half(second, request["out"], out)
                count, numbers = count + more, numbers + more_numbers
        hidden_rows, hidden_cols, known = hidden.result()
        for done in leftovers(request["trim"], request["out"]):
            if os.path.exists(done):
                os.remove(done)
    except python_calamine.CalamineError as exc:
        _say(error="unreadable", detail=type(exc).__name__)
        return
    _say(
        count=count,
        hidden_rows=_in(numbers, hidden_rows),
        hidden_cols=hidden_cols,
        hidden_known=known,
    )


def _in(numbers: list[int], spans: list[list[int]]) -> list[int]:
    """The rows holding data that fall in the spans (a formatted empty row may be hidden
    without anyone caring); the numbers are ascending."""
    found: list[int] = []
    for low, high in merge(spans):
        start = bisect.bisect_left(numbers, low)
        found.extend(numbers[start : bisect.bisect_right(numbers, high, lo=start)])
        if len(found) >= 1000:
            break
    return found[:1000]


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
