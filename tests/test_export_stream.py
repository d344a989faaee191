"""Exports stream: memory stays flat however many rows are written, the workbook reads back as
written (dates, text, formula-like cells), and `heli bench export` times the member export
against its floor and keeps nothing."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc

import openpyxl
import pytest
from django.core.management import call_command

from heli.bench import export as export_bench
from heli.core.exporters import Exporter, SheetInfo
from heli.core.scoping import Scope, activate
from heli.members.exporters import MemberExporter
from heli.members.models import Member

pytestmark = pytest.mark.django_db


class Generated(Exporter):
    """`count` rows of the kinds of cells exports hold."""

    def __init__(self, count: int):
        self.count = count

    def header(self) -> list[str]:
        return ["姓名", "日期", "时间", "数", "备注"]

    def rows(self):
        for i in range(self.count):
            yield [
                f"党员{i}",
                dt.date(1980, 1, 1) + dt.timedelta(days=i % 9000),
                dt.datetime(2026, 1, 1, 8, 30),
                i,
                "=1+1" if i % 2 else " 有空格 & <标记>\x01",
            ]


def peak_bytes(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_from_two_thousand_to_twenty_thousand_rows(tmp_path):
    small = peak_bytes(lambda: Generated(2_000).write_xlsx(str(tmp_path / "s.xlsx")))
    large = peak_bytes(lambda: Generated(20_000).write_xlsx(str(tmp_path / "l.xlsx")))
    assert large < 1.5 * small, (small, large)
    small_csv = peak_bytes(lambda: Generated(2_000).write_csv((tmp_path / "s.csv").open("wb")))
    large_csv = peak_bytes(lambda: Generated(20_000).write_csv((tmp_path / "l.csv").open("wb")))
    assert large_csv < 1.5 * small_csv, (small_csv, large_csv)


def test_the_workbook_reads_back_as_written(tmp_path):
    path = tmp_path / "book.xlsx"
    Generated(3).write_xlsx(str(path), SheetInfo("标题", ("组织：甲",)))
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == "标题" and sheet["A2"].value == "组织：甲"
    assert [c.value for c in sheet[4]] == ["姓名", "日期", "时间", "数", "备注"]
    first, second = [c.value for c in sheet[5]], [c.value for c in sheet[6]]
    assert first[:4] == ["党员0", dt.datetime(1980, 1, 1), dt.datetime(2026, 1, 1, 8, 30), 0]
    # Spaces kept, markup escaped, a control character as Excel writes it (and reads it back).
    assert first[4] == " 有空格 & <标记>_x0001_"
    assert second[4] == "=1+1" and sheet["E6"].quotePrefix  # shown as text, never run
    assert sheet["B5"].number_format == "yyyy-mm-dd"
    assert sheet.max_row == 7 and sheet.dimensions == "A1:E7"
    assert sheet.print_title_rows == "$4:$4" and sheet.freeze_panes == "A5"


def test_the_member_export_reads_rows_in_chunks_and_decrypts_them_in_full(world):
    with activate(Scope.everything()):
        scope = export_bench.build(30)
    with activate(scope):
        members = Member.objects.order_by("name", "pk")
        full = list(MemberExporter(members, unmasked=True).rows())
        masked = list(MemberExporter(members, unmasked=False).rows())
    assert len(full) == len(masked) == 30
    id_at = [column.key for column in export_bench.COLUMNS].index("id_number")
    assert full[0][id_at].startswith("320412") and masked[0][id_at].startswith("****")


def test_the_export_benchmark_times_the_export_against_its_floor_and_keeps_nothing():
    members = Member.unscoped.count()
    out = io.StringIO()
    call_command("bench", "export", "--rows", "60", stdout=out)
    text = out.getvalue()
    for label in ("masked (mask, spell, write)", "in full (decrypt, spell, write)",
                  "floor (stored values, same writer)", "peak memory", "rows/s"):  # fmt: skip
        assert label in text
    assert "member export, 60 rows" in text
    assert Member.unscoped.count() == members  # rolled back
