"""Sheets as they come: .xls (made by LibreOffice) and .ods (written by hand, as it is only XML
in a zip), the choice among a workbook's sheets, hidden rows and columns as warnings, blank
rows down to row 1,048,576 that cost little and count for nothing, and sheets too large for
the reading child's limits failing with a message that names them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xlsxwriter

from heli.members.import_models import JobStatus
from heli.members.imports import extract, files, reader, sheetcuts
from heli.members.imports.files import FileRefused
from heli.members.imports.reader import open_sheet
from tests.test_member_import import HEADERS, _key, make_xlsx, member_row, run_check

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)

ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def cells_of(world, rows: list[dict]) -> list[list[str]]:
    """The header and the rows as lists of strings, in the template's column order."""
    keys = [_key(h) for h in HEADERS]
    return [HEADERS] + [[str(row.get(k, "")) for k in keys] for row in rows]


def make_ods(
    sheets: dict[str, list[list[str]]],
    hidden_rows: set[int] = frozenset(),
    hidden_cols: set[int] = frozenset(),
) -> bytes:
    """An OpenDocument spreadsheet; hidden rows and columns (1-based) in the first sheet."""
    tables = []
    for index, (name, rows) in enumerate(sheets.items()):
        hide_rows, hide_cols = (hidden_rows, hidden_cols) if index == 0 else ((), ())
        width = max(len(r) for r in rows)
        columns = "".join(
            '<table:table-column table:visibility="collapse"/>'
            if c in hide_cols
            else "<table:table-column/>"
            for c in range(1, width + 1)
        )
        body = "".join(
            "<table:table-row"
            + (' table:visibility="collapse"' if r in hide_rows else "")
            + ">"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
                "</table:table-cell>"
                if v
                else "<table:table-cell/>"
                for v in row
            )
            + "</table:table-row>"
            for r, row in enumerate(rows, start=1)
        )
        tables.append(f'<table:table table:name="{escape(name)}">{columns}{body}</table:table>')
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        + "".join(tables)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    return buffer.getvalue()


def soffice_convert(content: bytes, suffix: str, tmp_path: Path) -> bytes:
    """The workbook converted by LibreOffice (`.ci/run` installs it: this fails without it)."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed: apt-get install libreoffice-calc-nogui"
    source = tmp_path / "source.xlsx"
    source.write_bytes(content)
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         suffix, "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return (tmp_path / f"source.{suffix}").read_bytes()


def upload(tmp_path: Path, content: bytes, name: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(content)
    return path, files.inspect(path, name)


def five_members(world, then: Callable = lambda book, sheet: None) -> bytes:
    """A sheet with five members, and whatever `then(book, sheet)` adds."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("党员信息")
    members = [member_row(world, name=n) for n in ("孙丽", "王芳", "李强", "赵敏", "钱多")]
    for r, row in enumerate(cells_of(world, members)):
        sheet.write_row(r, 0, row)
    then(book, sheet)
    book.close()
    return buffer.getvalue()


# .xls and .ods --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_xls_saved_by_libreoffice_is_checked_like_the_xlsx_it_came_from(world, tmp_path):
    rows = [member_row(world), member_row(world, name="", id_number="123")]
    content = soffice_convert(make_xlsx(rows), "xls", tmp_path)
    assert content[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    job = run_check(world.users["town_admin"], content, "党员.xls")
    assert job.status == JobStatus.INVALID and job.total_rows == 2
    assert {e[0] for e in job.errors} == {3}, "the bad row is named as Excel numbers it"


@pytest.mark.django_db
def test_an_ods_is_read_and_checked(world):
    content = make_ods({"党员信息": cells_of(world, [member_row(world)])})
    job = run_check(world.users["town_admin"], content, "党员.ods")
    assert (job.status, job.total_rows, job.error_count) == (JobStatus.CHECKED, 1, 0)


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"PK\x03\x04 not really", "members.ods", "不是 OpenDocument 表格"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "members.xls", "不是 Excel 97–2003 工作簿"),
        (b"name,id\n", "members.numbers", "只能导入 Excel 工作簿（.xlsx、.xls）、OpenDocument"),
    ],
)
@pytest.mark.django_db
def test_files_whose_content_is_not_what_their_name_says_are_refused(
    world, tmp_path, content, name, reason
):
    with pytest.raises(FileRefused, match=reason):
        upload(tmp_path, content, name)


@pytest.mark.django_db
def test_an_ods_whose_mimetype_is_another_documents_is_refused(world, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(FileRefused, match="不是 OpenDocument 表格"):
        upload(tmp_path, buffer.getvalue(), "members.ods")


@pytest.mark.django_db
def test_an_ods_that_expands_like_a_zip_bomb_is_refused(world, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODS_MIMETYPE)
        archive.writestr("content.xml", b" " * (50 * 1024 * 1024))
    with pytest.raises(FileRefused, match="“压缩炸弹”"):
        upload(tmp_path, buffer.getvalue(), "members.ods")


# Sheets -----------------------------------------------------------------------------------


def workbook(sheets: dict[str, list[list[str]]], hidden: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
        if name in hidden:
            sheet.hide()
    book.close()
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_data_sheets_are_the_visible_ones_in_order_and_the_first_is_read(world, tmp_path):
    member = cells_of(world, [member_row(world)])
    other = cells_of(world, [member_row(world, name="王芳"), member_row(world, name="李强")])
    sheets = {"填写说明": [["说明"]], "一支部": member, "隐藏": member, "二支部": other}
    path, kind = upload(tmp_path, workbook(sheets, hidden=("隐藏",)), "党员.xlsx")
    sheet = open_sheet(path, kind)
    assert (sheet.name, sheet.sheets) == ("一支部", ["一支部", "二支部"])
    assert [cells[0] for _n, cells in sheet.numbered()] == ["孙丽"]


@pytest.mark.django_db
def test_a_named_sheet_is_read_and_an_unknown_name_is_refused_listing_the_sheets(world, tmp_path):
    two = cells_of(world, [member_row(world, name="王芳"), member_row(world, name="李强")])
    sheets = {"一支部": cells_of(world, [member_row(world)]), "二支部": two}
    path, kind = upload(tmp_path, make_ods(sheets), "党员.ods")
    sheet = open_sheet(path, kind, "二支部")
    assert (sheet.name, sheet.estimated_rows) == ("二支部", 2)
    assert [(n, cells[0]) for n, cells in sheet.numbered()] == [(2, "王芳"), (3, "李强")]
    with pytest.raises(FileRefused, match="没有名为“三支部”的工作表。现有工作表：一支部、二支部"):
        open_sheet(path, kind, "三支部")


@pytest.mark.django_db
def test_a_csv_has_no_sheet_name_and_no_sheets(world, tmp_path):
    path, kind = upload(
        tmp_path,
        "\n".join(",".join(r) for r in cells_of(world, [member_row(world)])).encode(),
        "党员.csv",
    )
    sheet = open_sheet(path, kind)
    assert (sheet.name, sheet.sheets, sheet.warnings, sheet.estimated_rows) == ("", [], [], 1)


# Hidden rows and columns ------------------------------------------------------------------


@pytest.mark.django_db
def test_hidden_rows_and_columns_of_an_xlsx_are_warnings_on_the_job_naming_them(world):
    def hide(book, sheet) -> None:
        for r in (2, 4, 5):  # 0-based: rows 3, 5 and 6 as Excel numbers them
            sheet.set_row(r, None, None, {"hidden": True})
        sheet.set_row(40, None, None, {"hidden": True})  # blank: nobody cares
        sheet.set_column(2, 3, None, None, {"hidden": True})  # C:D
        sheet.set_column(200, 210, None, None, {"hidden": True})  # beyond the header

    job = run_check(world.users["town_admin"], five_members(world, hide))
    assert job.status == JobStatus.CHECKED and job.total_rows == 5
    assert job.warnings == [
        "工作表“党员信息”中第 3, 5–6 行被隐藏，这些行也会照常导入。请在 Excel 中取消隐藏后核对。",
        "工作表“党员信息”中第 C–D 列被隐藏，这些列也会照常导入。请在 Excel 中取消隐藏后核对。",
    ]


@pytest.mark.django_db
def test_hidden_rows_and_columns_of_an_ods_are_warnings(world, tmp_path):
    rows = cells_of(world, [member_row(world, name=n) for n in ("孙丽", "王芳", "李强")])
    content = make_ods({"名册": rows}, hidden_rows={3}, hidden_cols={2})
    path, kind = upload(tmp_path, content, "党员.ods")
    warnings = open_sheet(path, kind).warnings
    assert len(warnings) == 2
    assert "“名册”中第 3 行被隐藏" in warnings[0] and "“名册”中第 B 列被隐藏" in warnings[1]


@pytest.mark.django_db
def test_a_sheet_without_hidden_rows_has_no_warnings(world, tmp_path):
    path, kind = upload(tmp_path, make_xlsx([member_row(world)]), "党员.xlsx")
    assert open_sheet(path, kind).warnings == []


# Blank rows and the row limit -------------------------------------------------------------


def far_blank_rows(world, rows: int) -> bytes:
    """Five members, then `rows` formatted blank rows (the fill colour of a whole column that
    someone selected down to the bottom)."""

    def fill(book, sheet) -> None:
        yellow = book.add_format({"bg_color": "yellow"})
        for r in range(6, 6 + rows):
            sheet.set_row(r, None, yellow)

    return five_members(world, fill)


def formulas_showing_nothing(world, rows: int) -> bytes:
    """Five members, then `rows` rows of 20 formulas that show "" (as Excel writes them), in a
    sheet that declares its used range down to row 1,048,576."""
    source = zipfile.ZipFile(io.BytesIO(far_blank_rows(world, 0)))
    letters = [chr(65 + c) for c in range(20)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.decode().split("</sheetData>")
                head = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:V1048576"/>', head)
                empty = "".join(
                    f'<row r="{r}">'
                    + "".join(f'<c r="{c}{r}" t="str"><f>""</f><v></v></c>' for c in letters)
                    + "</row>"
                    for r in range(8, 8 + rows)
                )
                data = (head + empty + "</sheetData>" + tail).encode()
            out.writestr(item, data)
    return buffer.getvalue()


@pytest.mark.django_db
def test_formulas_showing_nothing_below_the_data_are_cut_off_before_reading(
    world, tmp_path, monkeypatch
):
    path, kind = upload(tmp_path, formulas_showing_nothing(world, 20_000), "党员.xlsx")
    part = "xl/worksheets/sheet1.xml"
    copy = sheetcuts.trimmed(str(path), part, "A1:V1048576", str(tmp_path / "cut.xlsx"))
    with zipfile.ZipFile(copy) as archive:
        xml = archive.read(part)
    assert b'<row r="6"' in xml and b'<row r="8"' not in xml and xml.endswith(b"</worksheet>")
    monkeypatch.setattr(reader, "MAX_ROWS", 5)
    sheet = open_sheet(path, kind)
    assert sheet.estimated_rows == 5 and len(list(sheet.numbered())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.xlsx", "党员.xlsx"]


@pytest.mark.django_db
def test_the_row_limit_counts_the_real_rows_below_the_header(world, tmp_path, monkeypatch):
    path, kind = upload(tmp_path, far_blank_rows(world, 10), "党员.xlsx")
    monkeypatch.setattr(reader, "MAX_ROWS", 4)
    with pytest.raises(FileRefused, match="超过 4 行"):
        open_sheet(path, kind)


@pytest.mark.django_db
def test_the_rows_read_from_an_upload_go_with_it(world):
    job = run_check(world.users["town_admin"], make_xlsx([member_row(world)]))
    assert job.status == JobStatus.CHECKED
    assert not files.rows_path_for(files.upload_path(job.pk)).exists()
    assert sorted(p.name for p in files.import_dir().iterdir()) == [f"{job.pk}.stage"]


# Sheets too large for the reading child ---------------------------------------------------


def far_corner(world) -> bytes:
    """Five members and a stray value in the last cell a sheet has: read naively, the library
    asks for 34 GB."""
    return five_members(world, lambda book, sheet: sheet.write_string("AMJ1048576", "x"))


@pytest.mark.django_db
def test_a_stray_value_in_the_far_corner_fails_the_job_naming_the_sheet_and_range(world):
    job = run_check(world.users["town_admin"], far_corner(world))
    assert job.status == JobStatus.FAILED
    assert "工作表“党员信息”无法读取：使用范围到 AMJ1048576" in job.message
    assert "请删除表格末尾多余的内容" in job.message
    assert not files.import_dir().exists() or list(files.import_dir().iterdir()) == []


@pytest.mark.django_db
def test_a_sheet_read_too_long_is_stopped_naming_it_and_the_job_heart_beats_meanwhile(
    world, tmp_path, monkeypatch
):
    slow = tmp_path / "slow_child.py"
    slow.write_text(
        "import json, sys, time\n"
        "print(json.dumps({'sheets': ['名册'], 'name': '名册', 'part': None}), flush=True)\n"
        "time.sleep(60)\n"
    )
    monkeypatch.setattr(extract, "sandbox", type(sys)("slow"))
    extract.sandbox.__file__ = str(slow)
    monkeypatch.setattr(extract, "HEARTBEAT_EVERY", 0.2)
    monkeypatch.setenv("HELI_IMPORT_READ_SECONDS", "2")
    beats = []
    path, kind = upload(tmp_path, make_xlsx([member_row(world)]), "党员.xlsx")
    started = time.monotonic()
    with pytest.raises(FileRefused, match="读取工作表“名册”超过 2 秒"):
        extract.extract(path, kind, tmp_path / "rows", heartbeat=lambda: beats.append(1))
    assert time.monotonic() - started < 10 and len(beats) >= 5
