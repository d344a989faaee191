"""A large export is written by several processes, each a slice of the rows: the workbook's
sheet is the one a single process writes, byte for byte; progress adds up; a failing part
fails the export instead of leaving rows out."""

from __future__ import annotations

import io
import zipfile

import pytest

from heli.core import exportparts
from heli.core.exporters import SheetInfo
from heli.core.scoping import Scope, activate
from heli.members.exporters import MemberExporter
from heli.members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)
INFO = SheetInfo("党员名册", ("组织：测试",))


@pytest.fixture
def roll(world):
    for n in range(47):
        MemberFactory(name=f"分片{n:02d}", org=world.branch_a, notes="=1+1" if n % 9 == 0 else "")
    return world


def sheet_of(book: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(book)) as package:
        return package.read("xl/worksheets/sheet1.xml")


def written(unmasked: bool, processes: int, settings, progress=None) -> tuple[bytes, int]:
    settings.HELI_EXPORT_PROCESSES = processes
    target = io.BytesIO()
    with activate(Scope.everything()):
        members = Member.objects.order_by("name", "pk")
        exporter = MemberExporter(members, unmasked=unmasked)
        rows = exporter.write_xlsx(target, INFO, progress)
    return target.getvalue(), rows


@pytest.mark.parametrize("unmasked", [False, True])
def test_the_parts_write_the_sheet_one_process_writes(roll, settings, monkeypatch, unmasked):
    alone, rows = written(unmasked, 1, settings)
    monkeypatch.setattr(exportparts, "PARALLEL_FROM", 10)
    calls = []
    monkeypatch.setattr(exportparts, "write_parts", _spy(exportparts.write_parts, calls))
    together, rows_together = written(unmasked, 3, settings)
    assert calls, "the parts were written by processes"
    assert rows_together == rows > 47
    assert sheet_of(together) == sheet_of(alone)


def test_progress_counts_every_parts_rows(roll, settings, monkeypatch):
    monkeypatch.setattr(exportparts, "PARALLEL_FROM", 10)
    monkeypatch.setattr(exportparts, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(exportparts, "POLL_SECONDS", 0.01)
    seen: list[int] = []
    _book, rows = written(False, 2, settings, seen.append)
    assert seen == sorted(seen) and all(n % 5 == 0 for n in seen)
    assert not seen or seen[-1] <= rows


def test_a_failing_part_fails_the_export(roll, settings, monkeypatch):
    monkeypatch.setattr(exportparts, "PARALLEL_FROM", 10)

    def broken(self):
        raise ValueError("a part broke")
        yield

    monkeypatch.setattr(MemberExporter, "rows", broken)
    with pytest.raises(RuntimeError, match="a part broke"):
        written(False, 2, settings)


def test_an_export_inside_a_transaction_is_written_by_one_process(roll, settings, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(exportparts, "PARALLEL_FROM", 10)
    settings.HELI_EXPORT_PROCESSES = 3
    with transaction.atomic(), activate(Scope.everything()):
        exporter = MemberExporter(Member.objects.order_by("name", "pk"))
        assert not exportparts.can_split(exporter, 100)
    with activate(Scope.everything()):
        assert exportparts.can_split(exporter, 100)
        for order in ((), ("name",)):  # unordered, or ties broken by chance
            members = Member.objects.order_by(*order)
            assert not exportparts.can_split(MemberExporter(members), 100), order


def _spy(function, calls: list):
    def spied(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return spied


def test_a_connection_that_stays_open_keeps_the_export_in_one_process(roll, settings, monkeypatch):
    import multiprocessing

    from django.db import connections

    alone, _rows = written(False, 1, settings)
    monkeypatch.setattr(exportparts, "PARALLEL_FROM", 10)
    monkeypatch.setattr(connections, "close_all", lambda: None)  # as if a close were refused
    fork = multiprocessing.get_context("fork")

    class NoForking:
        Array, SimpleQueue = fork.Array, fork.SimpleQueue

        def Process(self, *args, **kwargs):
            raise AssertionError("forked with the parent's connection open")

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: NoForking())
    together, _rows = written(False, 3, settings)
    assert sheet_of(together) == sheet_of(alone)
