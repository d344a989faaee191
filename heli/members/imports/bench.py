"""`heli bench import`: the member import against the floor of the same work, in one run.

A valid .xlsx of N rows (default 100,000) is generated, then timed twice inside a transaction
that is rolled back at the end (so the database is left as it was, empty or not):

- the full import: check (parse with python-calamine, validate, encrypt, digest, stage) and
  save (re-check, insert members and their history rows, audit) — what a worker does;
- the floor: the same file parsed with python-calamine and the same member rows inserted
  through the fastest raw path (executemany in one transaction on SQLite, COPY on
  PostgreSQL), nothing else.

The ratio floor / import says how close the import comes to what the database and the reader
allow at all; the target is at least 0.25.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import python_calamine
import xlsxwriter
from django.db import connection, transaction
from django.utils import timezone

from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.core.tree import allocate_child_path
from heli.members import idcard
from heli.members.imports import pipeline, writer
from heli.members.imports.columns import COLUMNS
from heli.members.imports.staging import Stage
from heli.members.imports.writer import MEMBER_FIELDS
from heli.members.models import Member
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind

TARGET = 0.25
AREA = "110101"  # not an area of the demo zone: generated numbers do not collide with it
BRANCHES = 20


class Rollback(Exception):
    pass


@dataclass
class ImportTiming:
    rows: int
    vendor: str
    check: float
    save: float
    parse: float
    insert: float

    @property
    def full(self) -> float:
        return self.check + self.save

    @property
    def floor(self) -> float:
        return self.parse + self.insert

    @property
    def ratio(self) -> float:
        return self.floor / self.full if self.full else 0.0


def _node(model: type, parent=None, **fields):
    path, depth = allocate_child_path(model, parent)
    return model.unscoped.create(parent=parent, path=path, depth=depth, **fields)


def _zone() -> tuple[list[str], list[str]]:
    """A district with one village of BRANCHES grids, a branch each: (grids, branches)."""
    district = _node(Region, name="基准区", kind=RegionKind.DISTRICT)
    village = _node(Region, district, name="基准村", kind=RegionKind.VILLAGE)
    root_org = _node(
        PartyOrg, name="基准区党工委", level=OrgLevel.WORKING_COMMITTEE,
        category=OrgCategory.REGIONAL, region=district,
    )  # fmt: skip
    grids, branches = [], []
    for g in range(1, BRANCHES + 1):
        grid = _node(Region, village, name=f"基准村第{g}网格", kind=RegionKind.GRID)
        branch = _node(
            PartyOrg, root_org, name=f"{grid.name}党支部", level=OrgLevel.BRANCH,
            category=OrgCategory.REGIONAL, region=grid,
        )  # fmt: skip
        grids.append(grid.name)
        branches.append(branch.name)
    return grids, branches


def write_file(path: Path, rows: int, grids: list[str], branches: list[str]) -> None:
    """A realistic sheet: date cells, text phones, a few floating members, blanks allowed."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("党员信息")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, [c.header + ("*" if c.required else "") for c in COLUMNS])
    educations = ["大学本科", "大学专科", "高中", "硕士研究生", "初中及以下"]
    occupations = ["工人", "企业管理人员", "专业技术人员", "农民", "快递员", "离退休人员"]
    for i in range(rows):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=(i // 1000) * 131 % 18000)
        joined = dt.date(born.year + 25, 7, 1)
        floating = i % 30 == 0
        values = {
            "name": f"党员{i}",
            "ethnicity": "汉族",
            "id_number": idcard.make(AREA, born, i % 1000),
            "phone": f"139{i:08d}",
            "education": educations[i % len(educations)],
            "membership": "正式党员",
            "org": branches[i % len(branches)],
            "residence_grid": grids[i % len(grids)],
            "employer": "基准有限公司",
            "occupation": occupations[i % len(occupations)],
            "status": "流动" if floating else "正常",
            "floating_direction": "流出" if floating else "",
            "floating_place": "上海市浦东新区" if floating else "",
        }
        # A year's probation: a 正式党员 has a 转正日期 (services.check_consistency).
        dates = {
            "birth_date": born,
            "joined_on": joined,
            "full_on": joined.replace(year=joined.year + 1),
        }
        for c, column in enumerate(COLUMNS):
            if column.key in dates:
                day = dates[column.key]
                sheet.write_datetime(
                    i + 1, c, dt.datetime(day.year, day.month, day.day), date_format
                )
            elif values.get(column.key):
                sheet.write_string(i + 1, c, values[column.key])
    book.close()


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def _parse(path: Path) -> int:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return sum(1 for _row in book.get_sheet_by_index(0).iter_rows())


def _floor_insert(stage: Stage) -> float:
    """The member rows alone, built in memory beforehand, inserted raw in a savepoint that is
    rolled back."""
    elapsed = 0.0
    try:
        with transaction.atomic():
            now = timezone.now()
            stamp = (
                connection.ops.adapt_datetimefield_value(now)
                if connection.vendor == "sqlite"
                else now
            )
            ids = writer._reserve_ids(stage.count)
            rows = [
                (pk, *record[1:], stamp, stamp)
                for pk, record in zip(ids, stage.records(), strict=True)
            ]
            insert = writer._copy if connection.vendor == "postgresql" else writer._executemany
            start = time.perf_counter()
            insert(Member, MEMBER_FIELDS, rows)
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def bench_import(rows: int, out: Callable[[str], None]) -> ImportTiming:
    with tempfile.TemporaryDirectory(prefix="heli-bench-") as folder:
        path, stage = Path(folder) / "members.xlsx", Path(folder) / "members.stage"
        try:
            with transaction.atomic(), activate(Scope.everything()):
                grids, branches = _zone()
                start = time.perf_counter()
                write_file(path, rows, grids, branches)
                size = path.stat().st_size / 1e6
                took = time.perf_counter() - start
                out(f"wrote {rows:,} rows ({size:.1f} MB) in {took:.1f}s on {connection.vendor}")
                check, outcome = _timed(lambda: pipeline.check(path, "xlsx", stage=stage))
                if outcome.problems:
                    first = outcome.problems.as_json()[:5]
                    raise RuntimeError(f"the generated file does not pass the check: {first}")
                # The floor inserts the very rows the import inserts.
                parse, _n = _timed(lambda: _parse(path))
                insert = _floor_insert(Stage(stage))
                actor = Actor.system("bench")
                save, saved = _timed(
                    lambda: pipeline.save(stage, actor, job_id="bench", filename="bench")
                )
                if saved.saved != rows:
                    raise RuntimeError(f"saved {saved.saved} of {rows} rows")
                raise Rollback
        except Rollback:
            pass
    return ImportTiming(rows, connection.vendor, check, save, parse, insert)


def report(t: ImportTiming, out: Callable[[str], None]) -> None:
    def rate(seconds: float) -> str:
        return f"{t.rows / seconds:>10,.0f} rows/s" if seconds else "         — rows/s"

    out(f"{'':<44}{'seconds':>9}{'':>4}{'rate':>15}")
    out(f"{'full import (check + save)':<44}{t.full:>9.2f}    {rate(t.full)}")
    out(f"{'  check: parse, validate, encrypt, stage':<44}{t.check:>9.2f}")
    out(f"{'  save: re-check, insert, history, audit':<44}{t.save:>9.2f}")
    out(f"{'floor (calamine parse + raw insert)':<44}{t.floor:>9.2f}    {rate(t.floor)}")
    out(f"{'  parse':<44}{t.parse:>9.2f}")
    raw = "COPY" if t.vendor == "postgresql" else "executemany"
    out(f"{'  insert (' + raw + ', one transaction)':<44}{t.insert:>9.2f}")
    verdict = "meets" if t.ratio >= TARGET else "MISSES"
    out(f"ratio (floor / import): {t.ratio:.2f} — {verdict} the target of {TARGET:.2f}")
