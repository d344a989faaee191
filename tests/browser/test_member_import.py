"""Importing members in the browser: a sheet with errors is refused row by row, the fixed sheet
imports in one go, the ledger counts change, and the export comes back masked; a full export
corrected in two cells imports back as two changes, shown before the confirmation and saved."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from django.db import connection

from heli.core import crypto
from heli.members import idcard
from heli.members.models import Member
from heli.members.sensitive import ID_PURPOSE
from tests import sheets
from tests.browser.helpers import login
from tests.taskqueue import run_queued

BRANCH = "东方社区第1网格党支部"
GRID = "东方社区第1网格"
HEADERS = ["姓名", "民族", "出生日期", "公民身份号码", "手机号码", "学历", "入党日期",
           "组织关系所在党组织", "居住网格", "职业类别"]  # fmt: skip


@pytest.fixture
def worker(zone):
    """`heli worker --once` in a thread, again and again: runs the queued tasks until the test
    ends."""
    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set():
                run_queued()
                stop.wait(0.1)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def _sheet(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def _person(n: int, **changes) -> list:
    born = dt.date(1990, 1, 1) + dt.timedelta(days=37 * n)
    row = {
        "name": f"导入党员{n}", "ethnicity": "汉族", "birth": born.isoformat(),
        "id": idcard.make("320411", born, 500 + n), "phone": f"1391234{5000 + n}",
        "education": "大学本科", "joined": "2015-07-01", "org": BRANCH, "grid": GRID,
        "occupation": "外卖骑手",
    }  # fmt: skip
    row.update(changes)
    return list(row.values())


def _upload(page, content: bytes, name: str) -> None:
    page.goto("/members/import/")
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/vnd.ms-excel", "buffer": content}
    )
    page.get_by_test_id("import-upload").click()


def _affiliated(page) -> int:
    page.goto("/regions/tree/")  # a branch secretary's tree opens at the grid
    return int(page.get_by_test_id("ledger-affiliated").locator(".num").inner_text())


@pytest.mark.browser
def test_a_secretary_fixes_a_bad_sheet_imports_it_and_exports_the_masked_ledger(
    zone, worker, context
):
    page = context.new_page()
    login(page, "secretary")
    before = _affiliated(page)

    bad_id = _person(2)[3][:17] + ("0" if _person(2)[3][17] != "0" else "1")
    bad = _sheet([_person(1), _person(2, id=bad_id), _person(3, org="不存在的党支部")])
    _upload(page, bad, "党员名册.xlsx")
    page.get_by_test_id("import-invalid").wait_for()
    errors = page.get_by_test_id("import-errors").inner_text()
    assert "校验码" in errors and "不存在的党支部" in errors
    rows = page.get_by_test_id("import-errors").locator("tbody tr td:first-child")
    assert {cell.strip() for cell in rows.all_inner_texts()} >= {"3", "4"}
    assert _affiliated(page) == before  # nothing was written

    _upload(page, _sheet([_person(1), _person(2), _person(3)]), "党员名册-改.xlsx")
    page.get_by_test_id("import-valid").wait_for()
    page.get_by_test_id("import-confirm").click()
    page.get_by_test_id("import-done").wait_for()
    assert _affiliated(page) == before + 3

    page.get_by_test_id("ledger-affiliated").click()
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    sheet = sheets.read(Path(download.value.path()).read_bytes())
    header, body = sheet.header, sheet.rows
    id_column, phone_column = header.index("公民身份号码"), header.index("手机号码")
    imported = [row for row in body if str(row[0]).startswith("导入党员")]
    assert len(imported) == 3
    for row in body:
        assert "**********" in row[id_column]
        assert row[phone_column] == "" or "****" in row[phone_column]


def _stored(id_number: str) -> Member:
    return Member.unscoped.get(id_digest=crypto.digest(ID_PURPOSE, id_number))


@pytest.mark.browser
def test_a_full_export_corrected_in_two_cells_imports_back_as_those_two_changes(
    zone, worker, context
):
    page = context.new_page()
    login(page, "secretary")
    # The export by its URL (the list page's buttons are being rebuilt), with the session.
    response = context.request.get("/members/export.xlsx?unmasked=1")
    assert response.ok
    book = openpyxl.load_workbook(io.BytesIO(response.body()))
    sheet = book.worksheets[0]
    header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "姓名")
    column = {c.value: c.column for c in sheet[header_row]}
    first, second = header_row + 1, header_row + 2
    ids = [sheet.cell(r, column["公民身份号码"]).value for r in (first, second)]
    names = [sheet.cell(r, column["姓名"]).value for r in (first, second)]
    old_education = sheet.cell(first, column["学历"]).value
    new_education = "硕士研究生" if old_education != "硕士研究生" else "大学本科"
    old_employer = sheet.cell(second, column["工作单位"]).value or ""
    sheet.cell(first, column["学历"]).value = new_education
    sheet.cell(second, column["工作单位"]).value = "常州浏览器测试有限公司"
    edited = io.BytesIO()
    book.save(edited)
    versions = [_stored(number).version for number in ids]

    _upload(page, edited.getvalue(), "党员名册-修改.xlsx")
    page.get_by_test_id("import-valid").wait_for()
    assert page.get_by_test_id("import-new").inner_text() == "0"
    assert page.get_by_test_id("import-updates").inner_text() == "2"
    shown = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.get_by_test_id("import-changes").locator("tbody tr").all()
    ]
    assert [[r[0], r[1], r[3], r[4], r[6]] for r in shown] == [
        [str(first), names[0], "学历", old_education, new_education],
        [str(second), names[1], "工作单位", old_employer or "—", "常州浏览器测试有限公司"],
    ]
    assert ids[0] not in page.content(), "ID numbers are shown masked"
    assert [_stored(number).version for number in ids] == versions, "nothing saved yet"

    page.get_by_test_id("import-confirm").click()
    page.get_by_test_id("import-done").wait_for()
    assert "2" in page.get_by_test_id("import-done").inner_text()
    corrected, employed = _stored(ids[0]), _stored(ids[1])
    assert corrected.education == ("master" if new_education == "硕士研究生" else "bachelor")
    assert employed.employer == "常州浏览器测试有限公司"
    assert [corrected.version, employed.version] == [v + 1 for v in versions]


@pytest.mark.browser
def test_a_roster_with_its_own_headers_asks_about_the_unknown_column_once(zone, worker, context):
    page = context.new_page()
    login(page, "secretary")
    headers = ["姓名", "民族", "出生年月", "身份证号码", "联系电话", "文化程度", "入党时间",
               "所在党支部", "居住网格", "职业类别", "家庭住址"]  # fmt: skip

    def roster(people: list[list]) -> bytes:
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = book.add_worksheet("花名册")
        sheet.write_row(0, 0, headers)
        for r, row in enumerate(people, start=1):
            sheet.write_row(r, 0, [*row, "东方社区8号"])
        book.close()
        return buffer.getvalue()

    _upload(page, roster([_person(21)]), "东方社区花名册.xlsx")
    page.get_by_test_id("import-setup").wait_for()
    form = page.get_by_test_id("import-setup-form")
    assert form.locator("tbody tr").count() == 1 and "家庭住址" in form.inner_text()
    page.get_by_label("家庭住址").select_option(label="忽略此列（不导入）")
    page.get_by_test_id("import-setup-submit").click()
    page.get_by_test_id("import-valid").wait_for()
    assert "家庭住址 → 已忽略" in page.get_by_test_id("import-mapping").text_content()
    page.get_by_test_id("import-confirm").click()
    page.get_by_test_id("import-done").wait_for()

    # The next roster of the branch goes straight to the check: the choice was remembered.
    _upload(page, roster([_person(22)]), "东方社区花名册-2.xlsx")
    page.get_by_test_id("import-valid").wait_for()
    assert "家庭住址 → 已忽略" in page.get_by_test_id("import-mapping").text_content()
    assert Member.unscoped.filter(name="导入党员21").exists()
