"""`heli bench import`: the member import end to end, against the floor of the same work.

For each size (default 100,000 and 200,000 rows) a valid .xlsx is generated and timed, each
measurement in a transaction that is rolled back (the database is left as it was, empty or
not), on a table cleared of the rows rolled back before (`_settle`):

- end to end, as users and the worker run it: the upload (jobs.create_job: the file stored
  and inspected), the check (jobs.run_job: parse with python-calamine, match, validate,
  encrypt, digest, stage) and, once confirmed, the save (jobs.run_job again: re-check, insert
  members and their history rows, audit);
- the floor: the same file parsed with python-calamine and the same member rows inserted
  through the fastest raw path (executemany in one transaction on SQLite, COPY on
  PostgreSQL), nothing else.

Every phase is the median of RUNS runs (`--runs`): on a shared machine one run moves by a
quarter.

The ratio floor / end to end says how close the import comes to what the reader and the
database allow at all; the target is at least 0.5. `--profile` prints where the end-to-end
time goes (cProfile, cumulative).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import logging
import os
import pstats
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import python_calamine
import xlsxwriter
from django.db import connection, transaction
from django.utils import timezone

from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.core.tree import allocate_child_path
from heli.members import idcard
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs, pipeline, writer
from heli.members.imports.columns import COLUMNS
from heli.members.imports.staging import Stage
from heli.members.imports.writer import MEMBER_FIELDS
from heli.members.models import Member, MemberChange
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind

TARGET = 0.5
RUNS = 3  # each phase is the median of this many runs
AREA = "110101"  # not an area of the demo zone: generated numbers do not collide with it
BRANCHES = 20


class Rollback(Exception):
    pass


@dataclass
class ImportTiming:
    rows: int
    vendor: str
    upload: float
    check: float
    save: float
    held: float  # of the save: how long its transaction held the write lock
    parse: float
    insert: float

    @property
    def full(self) -> float:
        return self.upload + self.check + self.save

    @property
    def floor(self) -> float:
        return self.parse + self.insert

    @property
    def ratio(self) -> float:
        return self.floor / self.full if self.full else 0.0


def _node(model: type, parent=None, **fields):
    path, depth = allocate_child_path(model, parent)
    return model.unscoped.create(parent=parent, path=path, depth=depth, **fields)


def _grid_names() -> list[str]:
    return [f"基准村第{g}网格" for g in range(1, BRANCHES + 1)]


def _branch_name(grid: str) -> str:
    return f"{grid}党支部"


def _zone() -> PartyOrg:
    """A district with one village of BRANCHES grids (_grid_names), a branch each: the
    district's organization."""
    district = _node(Region, name="基准区", kind=RegionKind.DISTRICT)
    village = _node(Region, district, name="基准村", kind=RegionKind.VILLAGE)
    root_org = _node(
        PartyOrg, name="基准区党工委", level=OrgLevel.WORKING_COMMITTEE,
        category=OrgCategory.REGIONAL, region=district,
    )  # fmt: skip
    for name in _grid_names():
        grid = _node(Region, village, name=name, kind=RegionKind.GRID)
        _node(
            PartyOrg, root_org, name=_branch_name(name), level=OrgLevel.BRANCH,
            category=OrgCategory.REGIONAL, region=grid,
        )  # fmt: skip
    return root_org


# Names as rosters hold them: a hundred surnames, given names of one or two characters; they
# repeat as real names do (a roster's pinyin initials are computed once per distinct name).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志春梅海燕红玉文辉鹏飞宇浩然晨"


def _name(i: int) -> str:
    surname = SURNAMES[i % len(SURNAMES)]
    first = GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
    second = GIVEN[(i * 7 // 3) % len(GIVEN)] if i % 3 else ""
    return surname + first + second


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
            "name": _name(i),
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


def _floor_rows(stage: Stage) -> list[tuple]:
    """The member rows the save inserts, ids (taken by the check) and timestamps included,
    built beforehand."""
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
    return [(*record[1:], stamp, stamp) for record in stage.records()]


def _floor_insert(rows: list[tuple]) -> float:
    """The rows inserted raw in a transaction that is rolled back. They name the organizations
    of a zone rolled back already: the foreign keys are checked at commit, which never comes."""
    elapsed = 0.0
    try:
        with transaction.atomic():
            insert = writer._copy if connection.vendor == "postgresql" else writer._executemany
            start = time.perf_counter()
            insert(Member, MEMBER_FIELDS, rows)
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def _settled_insert(rows: list[tuple]) -> float:
    _settle()
    elapsed = _floor_insert(rows)
    _settle()
    return elapsed


def _settle() -> None:
    """On PostgreSQL, rolled-back rows stay in the table and its indexes until VACUUM: an
    insert meeting a dead copy of each of its ID digests visits the table for every one, a
    cost no real import has (autovacuum clears them). Each measurement starts on a clean
    table. SQLite removes rolled-back rows at once; inside a caller's transaction (a test)
    VACUUM cannot run, and is not needed."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table) for model in (Member, MemberChange)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {tables}")


class _Held(logging.Handler):
    """Catches the save's own account of how long it held the write lock."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        self.seconds = getattr(record, "held", self.seconds)


@contextmanager
def _held_lock() -> Iterator[_Held]:
    handler = _Held()
    logger = logging.getLogger(pipeline.__name__)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@contextmanager
def _import_dir(folder: str) -> Iterator[None]:
    """Uploads and stages in the bench's own folder, removed with it."""
    before = os.environ.get("HELI_IMPORT_DIR")
    os.environ["HELI_IMPORT_DIR"] = folder
    try:
        yield
    finally:
        if before is None:
            del os.environ["HELI_IMPORT_DIR"]
        else:
            os.environ["HELI_IMPORT_DIR"] = before


def _upload(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            yield chunk


def _run(job: ImportJob, expected: str) -> None:
    jobs.run_job(job)
    if job.status != expected:
        problems = (job.errors or [])[:5]
        raise RuntimeError(f"the job ended {job.status}, not {expected}: {job.message} {problems}")


def _measure(path: Path, rows: int) -> ImportTiming:
    """One run: the file imported end to end in a transaction rolled back, then the floor."""
    _settle()
    try:
        with transaction.atomic(), activate(Scope.everything()):
            root_org = _zone()
            user = User.objects.create(
                username=f"bench-{uuid.uuid4().hex[:8]}", role=Role.DISTRICT_ADMIN, org=root_org
            )
            upload, job = _timed(
                lambda: jobs.create_job(user, _upload(path), "members.xlsx", "zh-hans")
            )
            check, _none = _timed(lambda: _run(job, JobStatus.CHECKED))
            # The floor parses the same file and inserts the very rows the import inserts.
            parse, _n = _timed(lambda: _parse(path))
            floor_rows = _floor_rows(Stage(files.stage_path(job.pk)))
            if not jobs.confirm(job, Actor(user)):
                raise RuntimeError(f"the job could not be confirmed: {job.status}")
            with _held_lock() as held:
                save, _none = _timed(lambda: _run(job, JobStatus.DONE))
            if job.imported_rows != rows:
                raise RuntimeError(f"saved {job.imported_rows} of {rows} rows")
            raise Rollback
    except Rollback:
        pass
    insert = _settled_insert(floor_rows)
    return ImportTiming(rows, connection.vendor, upload, check, save, held.seconds, parse, insert)


def _median(timings: list[ImportTiming]) -> ImportTiming:
    """Each phase's median over the runs (one run moves by a quarter on a shared machine)."""
    first = timings[0]
    phases = ("upload", "check", "save", "held", "parse", "insert")
    medians = {name: statistics.median(getattr(t, name) for t in timings) for name in phases}
    return ImportTiming(first.rows, first.vendor, **medians)


def bench_import(rows: int, out: Callable[[str], None], runs: int = RUNS) -> ImportTiming:
    """Generate a file of `rows` members and time its import end to end and the floor, `runs`
    times: the medians."""
    with tempfile.TemporaryDirectory(prefix="heli-bench-") as folder, _import_dir(folder):
        path = Path(folder) / "members.xlsx"
        start = time.perf_counter()
        grids = _grid_names()
        write_file(path, rows, grids, [_branch_name(grid) for grid in grids])
        size = path.stat().st_size / 1e6
        took = time.perf_counter() - start
        out(f"wrote {rows:,} rows ({size:.1f} MB) in {took:.1f}s on {connection.vendor}")
        timings = []
        for run in range(1, runs + 1):
            timings.append(_measure(path, rows))
            if runs > 1:
                t = timings[-1]
                full, floor = f"{t.full:.2f}s", f"{t.floor:.2f}s"
                out(f"  run {run}: end to end {full}, floor {floor}, ratio {t.ratio:.2f}")
    return _median(timings)


def report(timings: list[ImportTiming], out: Callable[[str], None]) -> None:
    """One table: each size's end-to-end phases, its floor, and the ratio."""
    raw = "COPY" if timings and timings[0].vendor == "postgresql" else "executemany"
    out(f"{'':<46}" + "".join(f"{t.rows:>12,} rows" for t in timings))
    lines: list[tuple[str, Callable[[ImportTiming], str]]] = [
        ("end to end (upload + check + save) s", lambda t: f"{t.full:.2f}"),
        ("  upload: store, inspect", lambda t: f"{t.upload:.2f}"),
        ("  check: parse, match, validate, stage", lambda t: f"{t.check:.2f}"),
        ("  save: re-check, insert, history, audit", lambda t: f"{t.save:.2f}"),
        ("    of which the write transaction", lambda t: f"{t.held:.2f}"),
        ("  rows/s", lambda t: f"{t.rows / t.full:,.0f}" if t.full else "-"),
        ("floor (calamine parse + raw insert) s", lambda t: f"{t.floor:.2f}"),
        ("  parse", lambda t: f"{t.parse:.2f}"),
        (f"  insert ({raw}, one transaction)", lambda t: f"{t.insert:.2f}"),
        ("  rows/s", lambda t: f"{t.rows / t.floor:,.0f}" if t.floor else "-"),
        ("ratio (floor / end to end)", lambda t: f"{t.ratio:.2f}"),
    ]
    for label, cell in lines:
        out(f"{label:<46}" + "".join(f"{cell(t):>17}" for t in timings))
    verdicts = ", ".join(
        f"{t.rows:,}: {'meets' if t.ratio >= TARGET else 'MISSES'}" for t in timings
    )
    out(f"target: ratio at least {TARGET:.2f} on {timings[0].vendor} — {verdicts}")


@dataclass
class Options:
    sizes: list[int]  # rows of each file, one after the other
    runs: int = RUNS
    profile: bool = False  # print where the time went (cProfile, cumulative)


def bench_imports(options: Options, out: Callable[[str], None]) -> list[ImportTiming]:
    """Every size in turn, then the table."""
    profiler = cProfile.Profile() if options.profile else None
    timings = []
    for rows in options.sizes:
        if profiler is not None:
            profiler.enable()
        timings.append(bench_import(rows, out, options.runs))
        if profiler is not None:
            profiler.disable()
    report(timings, out)
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        out(text.getvalue())
    return timings
