"""`heli bench export [--rows N]`: the member export end to end against its floor.

On a database built by `heli bench world`: the first N members (default 200,000) as its
district account sees them, written once by one process and once in parts by
HELI_EXPORT_PROCESSES processes (heli.core.exportparts; the CPU column is then the parent's
alone). Elsewhere: N members with real ciphertexts (ID number and phone, written by the
import's writer) are inserted in a zone of their own inside a transaction that is rolled back
at the end, so the database is left as it was, and written by one process (another could not
read them). In either case:

- the masked export and the full export (every ID number and phone decrypted), end to end as
  the page and the worker write them: rows read, names spelled as the importer finds them,
  free text masked, the workbook written to a file;
- the floor: the same rows read as stored (no decryption, no masking, no spelling) and written
  by the same writer.

Printed: rows per second of each, the ratio floor / end to end (1.0: the export costs no more
than writing what is stored), and the process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from heli.core.exporters import Exporter, SheetInfo
from heli.core.ids import allocate_ids
from heli.core.scoping import Scope, activate
from heli.core.tree import STEP_WIDTH
from heli.members import idcard, sensitive
from heli.members.choices import MemberStatus
from heli.members.exporters import MemberExporter
from heli.members.imports import writer
from heli.members.imports.columns import COLUMNS
from heli.members.models import Member

TARGET_ROWS_PER_SECOND = 20_000
WORLD_USER = "bench-district"  # heli bench world's district account
AREA = "320412"  # 常州市武进区: an area no test, demo or other bench number uses
# The stored columns the floor writes, one per column of the export.
FLOOR_FIELDS = (
    "name", "gender", "ethnicity", "birth_date", "id_cipher", "phone_cipher", "education",
    "joined_on", "membership", "full_on", "org_id", "residence_grid_id", "employer",
    "industry_chain_id", "occupation", "status", "reported_to_id", "reported_on",
    "floating_direction", "floating_place", "floating_since", "notes",
)  # fmt: skip


class Rollback(Exception):
    pass


@dataclass
class ExportTiming:
    """Seconds of each export as (wall clock, this process's CPU): on a shared machine the
    CPU time says what the export costs, the wall clock what a user waits. `processes`: how
    many wrote the rows (heli.core.exportparts; the CPU is then the parent's alone)."""

    rows: int
    masked: tuple[float, float]
    unmasked: tuple[float, float]
    floor: tuple[float, float]
    processes: int = 1

    def rate(self, seconds: float) -> float:
        return self.rows / seconds if seconds else float("inf")


class FloorExporter(Exporter):
    """The same rows as stored: what writing costs with nothing else to do."""

    def __init__(self, members):
        self.members = members

    def part(self, start: int, stop: int) -> FloorExporter:
        return FloorExporter(self.members[start:stop])

    def count_rows(self) -> int:
        return self.members.count()

    def header(self) -> list[str]:
        return [column.header for column in COLUMNS]

    def rows(self) -> Iterator[tuple]:
        for row in self.members.values_list(*FLOOR_FIELDS).iterator(chunk_size=2000):
            yield tuple(bytes(v[:8]).hex() if isinstance(v, bytes | memoryview) else v for v in row)


def build(rows: int) -> Scope:
    """The check-in bench's zone (district → town → village → grid, its branch); `rows`
    members in the branch, each with an ID number and a phone. Returns the zone's scope."""
    from heli.bench.world import build_zone

    _station, branch = build_zone()
    grid = branch.region
    pks = allocate_ids(Member, rows)
    batch: list[Member] = []
    for i, pk in enumerate(pks):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)
        number = idcard.make(AREA, born, i % 1000)
        member = Member(
            pk=pk, name=f"导出{i}", gender=idcard.gender(number), ethnicity="汉族",
            birth_date=born, education="bachelor", joined_on=born + dt.timedelta(days=9131),
            membership="full", org=branch, residence_grid=grid, occupation="worker",
            employer="常州导出基准有限公司", status=MemberStatus.NORMAL,
            notes="联系电话见档案" if i % 10 == 0 else "",
        )  # fmt: skip
        sensitive.set_id_number(member, number)
        sensitive.set_phone(member, f"139{i:08d}")
        batch.append(member)
        if len(batch) == 20_000:
            writer.write_members(batch, username="bench", batch="bench")
            batch = []
    if batch:
        writer.write_members(batch, username="bench", batch="bench")
    return Scope(org_path=branch.parent.path, region_path=grid.path[:STEP_WIDTH])


def _timed(exporter: Exporter) -> tuple[float, float]:
    info = SheetInfo("基准导出", ("组织：导出基准区党工委",))
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        wall, cpu = time.perf_counter(), time.process_time()
        exporter.write_xlsx(target.name, info)
        return time.perf_counter() - wall, time.process_time() - cpu


def measure(rows: int, out: Callable[[str], None]) -> ExportTiming:
    """Members built for the run and rolled back: one process (a transaction's rows cannot be
    read by another)."""
    try:
        with transaction.atomic():
            with activate(Scope.everything()):
                out(f"building {rows:,} members …")
                scope = build(rows)
            with activate(scope):
                timing = _measure_all(Member.objects.order_by("name", "pk"), rows, 1)
            raise Rollback
    except Rollback:
        pass
    return timing


def measure_world(rows: int, out: Callable[[str], None]) -> list[ExportTiming]:
    """The first `rows` members of a `heli bench world` zone as its district sees them,
    written by one process and then in parts by HELI_EXPORT_PROCESSES."""
    from heli.accounts.models import User

    with activate(Scope.everything()):
        user = User.objects.select_related("org").get(username=WORLD_USER)
    timings = []
    with activate(user.scope()):
        members = Member.objects.order_by("name", "pk")[:rows]
        count = members.count()
        out(f"the world's first {count:,} members, as {WORLD_USER} sees them")
        for processes in sorted({1, settings.HELI_EXPORT_PROCESSES}):
            timings.append(_measure_all(members, count, processes))
    return timings


def _measure_all(members, rows: int, processes: int) -> ExportTiming:
    with override_settings(HELI_EXPORT_PROCESSES=processes):
        return ExportTiming(
            rows,
            masked=_timed(MemberExporter(members, unmasked=False)),
            unmasked=_timed(MemberExporter(members, unmasked=True)),
            floor=_timed(FloorExporter(members)),
            processes=processes,
        )


def report(timing: ExportTiming, out: Callable[[str], None]) -> bool:
    who = "one process" if timing.processes == 1 else f"{timing.processes} processes"
    out(f"member export, {timing.rows:,} rows, {who}")
    out(f"{'':<38}{'wall s':>8}{'rows/s':>10}{'cpu s':>8}{'rows/s':>10}{'floor/this':>12}")
    passed = True
    for label, (wall, cpu) in (
        ("masked (mask, spell, write)", timing.masked),
        ("in full (decrypt, spell, write)", timing.unmasked),
        ("floor (stored values, same writer)", timing.floor),
    ):
        out(
            f"{label:<38}{wall:>8.2f}{timing.rate(wall):>10,.0f}{cpu:>8.2f}"
            f"{timing.rate(cpu):>10,.0f}{timing.floor[0] / wall:>12.2f}"
        )
        if label.startswith(("masked", "in full")) and timing.rate(wall) < TARGET_ROWS_PER_SECOND:
            passed = False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    out(f"peak memory of this process: {peak} MB (ru_maxrss, the build included)")
    verdict = "PASS" if passed else "MISS"
    out(f"target: ≥ {TARGET_ROWS_PER_SECOND:,} rows/s end to end (wall clock) — {verdict}")
    return passed


def bench_export(rows: int, out: Callable[[str], None]) -> Any:
    """On a `heli bench world` database: its members, by one process and in parts; else
    members built for the run and rolled back."""
    from heli.accounts.models import User

    with activate(Scope.everything()):
        world = User.objects.filter(username=WORLD_USER).exists()
    if not world:
        timing = measure(rows, out)
        report(timing, out)
        return timing
    timings = measure_world(rows, out)
    for timing in timings:
        report(timing, out)
    return timings
