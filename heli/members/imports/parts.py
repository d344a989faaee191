"""The rows of a sheet checked in parts, so that a big file's check uses two cores.

A check spends most of its time on work each row does alone: validating its cells, and for a
valid new member encrypting, digesting and staging it. A big file (HELI_IMPORT_PARALLEL_ROWS
rows or more, default 20,000; 0 turns parts off) is checked optimistically in two halves at
once: the first here, the second in a forked process that stages into a file of its own. Each
half finds its own duplicates and digests its own ID numbers. Then the halves are put together
only if nothing they could not see alone matters: no ID number is in both halves, and none is
registered (to update, deleted, or elsewhere; the registry is asked once, for every digest).
The second stage is appended to the first, problems, plans and skipped rows are added up, and
the outcome is that of one part (tests prove it). Otherwise (an invalid file with a person
twice, a re-import of members) the file is checked again in one part, as a small file is.

The forked process never touches the database: it shares the worker's connection (see
_forbid_database). What it needs was loaded before the fork (the names: `Lookups`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from django.db import connections

from heli.core.ids import IdPool
from heli.env import envint
from heli.members.imports.changes import Plan, Planner
from heli.members.imports.lookups import Lookups
from heli.members.imports.matching import FileIds, Registry
from heli.members.imports.problems import Problems
from heli.members.imports.reader import Numbered, Sheet
from heli.members.imports.skipped import RowSorter, warn_skipped
from heli.members.imports.staging import Stage, StageWriter
from heli.members.imports.validate import RowValidator

PROGRESS_EVERY = 1000
FIRST_SHARE = 52  # per cent of the rows checked by the first part
WAIT_SECONDS = 1.0  # how often progress is told while the other part finishes


@dataclass
class Work:
    """What a part of a check starts from. `ids` grows as its validator meets ID numbers
    (their digests, their first rows): a forked part grows its own copy."""

    sheet: Sheet
    lookups: Lookups
    registry: Registry
    ids: FileIds


@dataclass
class PartResult:
    """What checking some rows found."""

    count: int = 0  # rows checked
    problems: Problems = field(default_factory=Problems)
    plan: Plan = field(default_factory=Plan)
    example: list[int] = field(default_factory=list)  # rows skipped (skipped.RowSorter)
    footer: list[int] = field(default_factory=list)
    headerless: set[int] = field(default_factory=set)
    used: dict[str, dict[str, int]] = field(default_factory=dict)  # names resolved
    ids: FileIds = field(default_factory=FileIds)  # the part's valid ID numbers

    def merge(self, other: PartResult) -> None:
        self.count += other.count
        self.problems.merge(other.problems)
        self.plan.merge(other.plan)
        self.example += other.example
        self.footer += other.footer
        self.headerless |= other.headerless
        for key, names in other.used.items():
            self.used.setdefault(key, {}).update(names)

    def warn(self, problems: Problems, sheet: str) -> None:
        """The warnings of the rows left out."""
        warn_skipped(problems, sheet, self.example, self.footer, self.headerless)


def check_rows(
    work: Work, rows: Numbered, stager: StageWriter | None, done: Callable[[int], None]
) -> PartResult:
    """Check `rows`, staging new members and updates while no problem is found; `done` is
    told the count every PROGRESS_EVERY rows."""
    sheet = work.sheet
    problems = Problems()
    validator = RowValidator(sheet.positions, work.lookups, problems, work.registry, work.ids)
    planner = Planner(validator.present, work.lookups, validator.held)
    named = {*sheet.positions.values(), *sheet.header.ignored}
    sorter = RowSorter(sheet.positions, sheet.width, named)
    count = 0
    for number, cells in sorter(rows):
        row = validator(number, cells)
        count += 1
        # Once a problem is found the file will not be saved: the rest is only checked.
        if row is not None and not problems:
            if row.member is None:
                planner.add(row)
                if stager is not None:
                    stager.add(row)
            elif (update := planner.update(row)) is not None and stager is not None:
                stager.add_update(update)
        if count % PROGRESS_EVERY == 0:
            done(count)
    return PartResult(
        count, problems, planner.plan, sorter.example, sorter.footer, sorter.headerless,
        work.lookups.used(), FileIds(validator.digest_of, validator.first_row_of),
    )  # fmt: skip


def split(sheet: Sheet) -> bool:
    """Whether the file is worth checking in two parts (see the module's docstring)."""
    least = envint("HELI_IMPORT_PARALLEL_ROWS", 20_000)
    return 0 < least <= sheet.estimated_rows and "fork" in multiprocessing.get_all_start_methods()


def check_in_parts(
    sheet: Sheet, lookups: Lookups, stager: StageWriter | None, done: Callable[[int], None]
) -> PartResult | None:
    """The first half of the rows here, the second in a forked process; the second's stage
    appended to `stager` when both are valid. None when the halves cannot be put together:
    the caller checks the file in one part instead (after emptying the stage)."""
    work = Work(sheet, lookups, Registry(), FileIds())
    # The second part first walks past the first part's rows (unpickling them): a little
    # less for it to check keeps the two ending together.
    half = sheet.estimated_rows * FIRST_SHARE // 100
    part_path = Path(f"{stager.path}.part") if stager is not None else None
    # The second part's ids: those of the rows from `half` on (it may not use the database).
    second_ids = stager.ids.split(half) if stager is not None and stager.ids else None
    context = multiprocessing.get_context("fork")
    checked = context.Value("q", 0, lock=False)  # the other part's count, for the progress
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_second_part,
        args=(work, half, part_path, second_ids, sender, checked),
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        first = check_rows(
            work, itertools.islice(sheet.numbered(), half), stager,
            lambda n: done(n + checked.value),
        )  # fmt: skip
        while not receiver.poll(WAIT_SECONDS):
            if not process.is_alive() and not receiver.poll():
                raise RuntimeError(f"the second part of the check died ({process.exitcode})")
            done(first.count + checked.value)
        outcome, second = receiver.recv()
        process.join()
        if outcome != "ok":
            raise RuntimeError(f"the second part of the check failed:\n{second}")
        if not _fit(first.ids, second.ids):
            return None
        first.merge(second)
        if stager is not None and part_path is not None and not first.problems:
            stager.extend(Stage(part_path))
        return first
    finally:
        if process.is_alive():
            process.kill()
            process.join()
        receiver.close()
        if part_path is not None:
            part_path.unlink(missing_ok=True)


def _fit(first: FileIds, second: FileIds) -> bool:
    """Whether two halves checked apart are the whole file checked at once: no ID number in
    both, none registered."""
    if not first.first_row.keys().isdisjoint(second.first_row):
        return False
    registry = Registry.load([*first.digests.values(), *second.digests.values()])
    return not (registry.current or registry.taken)


def _second_part(
    work: Work,
    start: int,
    part_path: Path | None,
    ids: IdPool | None,
    sender: Connection,
    checked,
) -> None:
    """In the forked process: the rows from `start`, staged into `part_path` with `ids`."""
    _forbid_database()
    stager = StageWriter(part_path, ids) if part_path is not None else None
    try:

        def done(count: int) -> None:
            checked.value = count

        rows = itertools.islice(work.sheet.numbered(), start, None)
        result = check_rows(work, rows, stager, done)
        if stager is not None:
            if result.problems:
                stager.discard()
            else:
                stager.close(result.used)
        sender.send(("ok", result))
    except BaseException:
        if stager is not None:
            stager.discard()
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def _refuse_database() -> None:
    raise RuntimeError("a forked part of an import check must not use the database")


def _forbid_database() -> None:
    """The forked process holds a copy of the worker's connections: using one would talk on
    the worker's socket, or its SQLite file handle, behind its back. Any query raises instead.
    The connection objects stay referenced, so that nothing closes them on the way out."""
    for connection in connections.all():
        connection.ensure_connection = _refuse_database
