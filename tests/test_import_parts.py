"""A big file's check in two parts (one forked): the same outcome as in one, and a forked part
that can neither touch the database nor leave anything behind when it fails; a big sheet
parsed in two halves at once: the same rows as in one."""

from __future__ import annotations

import io
import multiprocessing

import pytest
import xlsxwriter
from django.utils import timezone

from heli.core.scoping import activate
from heli.members.imports import extract, files, parts, pipeline
from heli.members.imports.sandbox import read_rows
from heli.members.imports.staging import Stage
from heli.members.imports.validate import RowValidator
from heli.members.models import Member
from tests.factories import MemberFactory, make_id_number
from tests.test_member_import import BORN, HEADERS, _key, make_xlsx, member_row

ROWS = 40
SPLIT_FROM = "10"


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def _rows(world, count: int = ROWS) -> list[dict]:
    return [
        member_row(world, name=f"党员{i}", id_number=make_id_number(BORN), phone=f"139{i:08d}")
        for i in range(count)
    ]


def _check(world, content: bytes, monkeypatch, *, split: bool, spied: list | None = None):
    """(outcome, [(row, ID digest) of the staged members]) of checking `content`."""
    monkeypatch.setenv("HELI_IMPORT_PARALLEL_ROWS", SPLIT_FROM if split else "0")
    folder = files.import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("split.xlsx" if split else "whole.xlsx")
    path.write_bytes(content)
    stage = folder / f"{path.name}.stage"
    with activate(world.users["town_admin"].scope()):
        outcome = pipeline.check(path, "xlsx", stage=stage)
    staged = []
    if stage.exists():
        staged = [(r[0], r[7]) for r in Stage(stage).records()]  # row number, id_digest
    return outcome, staged


def _same(a, b) -> None:
    assert a.rows == b.rows
    assert a.problems.as_json() == b.problems.as_json()
    assert a.problems.count == b.problems.count
    assert a.problems.warnings == b.problems.warnings
    assert vars(a.plan) == vars(b.plan)


@pytest.fixture
def spy(monkeypatch):
    """Calls of the two ways: `parts` (tried in parts) and `whole` (checked in one part)."""
    calls = {"parts": 0, "whole": 0}
    tried, collect = parts.check_in_parts, pipeline.collect_ids

    def trying(*args, **kwargs):
        calls["parts"] += 1
        return tried(*args, **kwargs)

    def collecting(*args, **kwargs):
        calls["whole"] += 1
        return collect(*args, **kwargs)

    monkeypatch.setattr(parts, "check_in_parts", trying)
    monkeypatch.setattr(pipeline, "collect_ids", collecting)
    return calls


@pytest.mark.django_db
def test_a_valid_big_file_is_staged_in_two_parts_as_in_one(world, monkeypatch, spy):
    content = make_xlsx(_rows(world))
    whole, whole_staged = _check(world, content, monkeypatch, split=False)
    assert spy == {"parts": 0, "whole": 1}
    split, split_staged = _check(world, content, monkeypatch, split=True)
    assert spy == {"parts": 1, "whole": 1}  # the parts were kept
    _same(whole, split)
    assert split.plan.new == ROWS and not split.problems
    assert split_staged == whole_staged and len(split_staged) == ROWS
    assert [row for row, _digest in split_staged] == list(range(2, ROWS + 2))  # file order


@pytest.mark.django_db
def test_problems_within_each_half_are_added_up_as_in_one_part(world, monkeypatch, spy):
    rows = _rows(world)
    rows[3]["phone"] = "12345"
    rows[5]["org"] = "没有这个支部"
    rows[25]["id_number"] = rows[33]["id_number"]  # the same person twice in the second half
    rows[30]["joined_on"] = "2099-01-01"
    rows.append({"name": "填报人：张三"})  # a footer line
    content = make_xlsx(rows)
    whole, _staged = _check(world, content, monkeypatch, split=False)
    split, staged = _check(world, content, monkeypatch, split=True)
    assert spy == {"parts": 1, "whole": 1}  # the parts were kept
    _same(whole, split)
    assert staged == []
    assert {5, 7, 27, 35, 32} <= {row for row, *_rest in split.problems.as_json()}
    assert any("填报人" in warning for warning in split.problems.warnings)


@pytest.mark.django_db
def test_a_person_in_both_halves_or_a_registered_number_is_checked_in_one_part(
    world, monkeypatch, spy
):
    rows = _rows(world)
    number = make_id_number(BORN)
    deleted = MemberFactory(id_number=number, org=world.branch_a, residence_grid=world.grid_a)
    Member.unscoped.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    rows[2]["id_number"] = rows[35]["id_number"]  # the same person in both halves
    rows[33]["id_number"] = number  # a deleted member's number
    content = make_xlsx(rows)
    whole, _staged = _check(world, content, monkeypatch, split=False)
    split, staged = _check(world, content, monkeypatch, split=True)
    assert spy == {"parts": 1, "whole": 2}  # tried in parts, then checked in one
    _same(whole, split)
    assert staged == []
    assert {4, 37, 35} <= {row for row, *_rest in split.problems.as_json()}


@pytest.mark.django_db
def test_a_file_that_updates_members_is_checked_in_one_part(world, monkeypatch, spy):
    number = make_id_number(BORN)
    MemberFactory(id_number=number, org=world.branch_a, residence_grid=world.grid_a)
    rows = _rows(world)
    rows[20]["id_number"] = number
    content = make_xlsx(rows)
    whole, whole_staged = _check(world, content, monkeypatch, split=False)
    split, split_staged = _check(world, content, monkeypatch, split=True)
    assert spy == {"parts": 1, "whole": 2}
    _same(whole, split)
    assert split.plan.new == ROWS - 1 and split.plan.updates + split.plan.unchanged == 1
    assert len(split_staged) == len(whole_staged) == ROWS - 1


@pytest.mark.django_db
def test_a_failing_second_part_fails_the_check_and_leaves_no_stage(world, monkeypatch):
    real = RowValidator.__call__

    def failing(self, number, cells):
        if number == ROWS:  # in the second half
            raise ValueError("a bug")
        return real(self, number, cells)

    monkeypatch.setattr(RowValidator, "__call__", failing)
    with pytest.raises(RuntimeError, match="second part of the check failed"):
        _check(world, make_xlsx(_rows(world)), monkeypatch, split=True)
    assert sorted(p.name for p in files.import_dir().iterdir()) == ["split.xlsx"]


def _query_after_forbidding(queue) -> None:
    parts._forbid_database()
    try:
        Member.unscoped.filter(pk=-1).exists()
        queue.put("queried")
    except RuntimeError as exc:
        queue.put(str(exc))


@pytest.mark.django_db
def test_the_forked_part_cannot_use_the_database(world):
    nobody = Member.unscoped.filter(pk=-1)
    assert nobody.exists() is False  # the connection is open in this process
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_query_after_forbidding, args=(queue,))
    process.start()
    said = queue.get(timeout=30)
    process.join(30)
    assert "must not use the database" in said
    assert nobody.exists() is False  # and this process's connection still works


def _wide_sheet(world) -> bytes:
    """300 members from column B (column A empty), under a title, rows 10 and 250 hidden."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("党员信息")
    sheet.write_string(0, 1, "横林镇党员花名册")
    sheet.write_row(1, 1, HEADERS)
    keys = [_key(header) for header in HEADERS]
    for r, row in enumerate(_rows(world, 300), start=2):
        sheet.write_row(r, 1, [row.get(key, "") for key in keys])
    for hidden in (9, 249):
        sheet.set_row(hidden, None, None, {"hidden": True})
    book.close()
    return buffer.getvalue()


def _extract(path, monkeypatch, split_bytes: str):
    monkeypatch.setenv("HELI_IMPORT_SPLIT_BYTES", split_bytes)
    found = extract.extract(path, "xlsx", path.parent / "rows")
    return found, list(read_rows(found.rows))


@pytest.mark.django_db
def test_a_big_sheet_parsed_in_two_halves_at_once_gives_the_rows_of_one_parse(
    world, tmp_path, monkeypatch
):
    path = tmp_path / "book.xlsx"
    path.write_bytes(_wide_sheet(world))
    whole, whole_rows = _extract(path, monkeypatch, str(10**12))
    halves, halves_rows = _extract(path, monkeypatch, "1")
    assert halves_rows == whole_rows and len(whole_rows) == 302
    assert whole_rows[0] == (1, ["", "横林镇党员花名册"])  # cells from column A, as Excel has them
    assert halves.count == whole.count == 302
    assert halves.hidden_rows == whole.hidden_rows == [10, 250]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # nothing left behind
