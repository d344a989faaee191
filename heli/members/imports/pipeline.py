"""The two phases of an import, as plain functions.

`check` is the dry run: the file's ID numbers are looked up first (`matching`), then every row
is validated and every problem collected; nothing is written to the database. Each valid row
adds a member, updates a registered one (field by field, `changes`) or changes nothing. While
no problem has been found, new members and updates are also staged (see `staging`), so that a
valid file is ready to save.

`save` opens ONE short transaction that re-checks what may have changed in the zone since the
check (the names resolved, the ID numbers registered meanwhile, the members to update: still
in the area and at the version the check saw), inserts every new member, updates the others,
writes their history rows and one audit entry. A problem anywhere means nothing is saved. The
transaction is kept short on purpose: on SQLite it holds the database's write lock, and any
other writer (a session refreshed, a form saved) waits for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.members.imports import writer
from heli.members.imports.changes import Plan, Planner
from heli.members.imports.columns import HEADER_OF
from heli.members.imports.lookups import Lookups
from heli.members.imports.matching import Registry, collect_ids
from heli.members.imports.problems import Problems
from heli.members.imports.reader import Sheet, SheetRefused, open_sheet
from heli.members.imports.setup import NeedsSetup, Setup
from heli.members.imports.skipped import RowSorter
from heli.members.imports.staging import Stage, StageWriter
from heli.members.imports.validate import RowValidator, report_taken
from heli.members.imports.writer import DIGEST_AT

PROGRESS_EVERY = 1000

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows done, rows in all)


def _quiet(done: int, total: int) -> None:
    pass


@dataclass
class Outcome:
    rows: int  # data rows in the file
    problems: Problems
    saved: int = 0  # new members saved
    updated: int = 0  # members updated
    plan: Plan = field(default_factory=Plan)  # what the check found the file would do
    sheet: str = ""  # the sheet read
    mapping: dict[str, str] = field(default_factory=dict)  # headers read through user choices


class ZoneChanged(Exception):
    """The re-check inside the save transaction found the zone changed since the check."""

    def __init__(self, problems: Problems):
        super().__init__("the zone changed since the check")
        self.problems = problems


def check(
    path: Path,
    kind: str,
    progress: Progress = _quiet,
    stage: Path | None = None,
    setup: Setup | None = None,
) -> Outcome:
    """Validate every row in the active scope. With `stage`, a valid file's rows are left
    there ready to save (nothing is left when there is a problem). FileRefused for bad files;
    NeedsSetup when the user must choose a sheet or say what unknown columns hold."""
    setup = setup or Setup()
    try:
        sheet = open_sheet(
            path,
            kind,
            sheet=setup.sheet or None,
            heartbeat=lambda: progress(0, 0),
            mapping=setup.mapping,
        )
    except SheetRefused as refused:
        if setup.sheet or len(refused.sheets) < 2:
            raise
        # The first sheet is not the roster (a summary, a cover): the user picks another.
        raise NeedsSetup(sheet=refused.name, sheets=refused.sheets, header={}) from refused
    _ask_when_needed(sheet, setup)
    problems = Problems()
    problems.warnings.extend(sheet.warnings)  # hidden rows and columns: shown, not errors
    lookups = Lookups.load()
    total, count = sheet.estimated_rows, 0
    progress(0, total)
    digests = collect_ids(sheet)
    registry = Registry.load(digests.values())
    validator = RowValidator(sheet.positions, lookups, problems, registry, digests)
    planner = Planner(validator.present, lookups, validator.held)
    stager = StageWriter(stage) if stage is not None else None
    header = sheet.header
    sorter = RowSorter(sheet.positions, sheet.width, {*sheet.positions.values(), *header.ignored})
    try:
        for number, cells in sorter(sheet.numbered()):
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
                progress(count, max(total, count))
        if count == 0:
            problems.file_level(_("The sheet has a header row but no members below it."))
        sorter.warn(problems, sheet.name)
    except BaseException:
        if stager is not None:
            stager.discard()
        raise
    if stager is not None:
        if problems:
            stager.discard()
        else:
            stager.close(lookups.used())
    progress(count, count)
    return Outcome(count, problems, plan=planner.plan, sheet=sheet.name, mapping=header.mapped)


def _ask_when_needed(sheet: Sheet, setup: Setup) -> None:
    """NeedsSetup when the workbook has several data sheets and the user has not chosen one,
    or when a header is not recognised: nothing is read or dropped without the user."""
    header = sheet.header
    if header.unknown or (len(sheet.sheets) > 1 and not setup.sheet):
        raise NeedsSetup(
            sheet=sheet.name,
            sheets=list(sheet.sheets),
            header={
                "unknown": [list(column) for column in header.unknown],
                "present": sorted(header.positions),
                "missing": header.missing,
            },
        )


def save(
    stage_path: Path,
    actor: Actor,
    *,
    job_id: str,
    filename: str,
    progress: Progress = _quiet,
) -> Outcome:
    """Save every staged new member and update or none (ZoneChanged when the re-check
    fails). StageError when the stage is missing or not heli's.

    Everything that can be done without the write lock is done before the transaction: the
    stage is read and decoded, the rows to insert are built (writer.Prepared); inside, only
    the re-check, the ids, the inserts and the audit entry remain."""
    stage = Stage(stage_path)
    total = stage.count + stage.update_count
    progress(0, total)
    records = list(stage.records())
    taken = [(r[0], r[1 + DIGEST_AT], r[2 + DIGEST_AT]) for r in records]
    updates = list(stage.updates())
    user_id = actor.user.pk if actor.user is not None else None
    prepared = writer.Prepared(records, user_id=user_id, username=actor.username, job_id=job_id)
    del records
    started = time.perf_counter()
    with transaction.atomic():
        _recheck(stage, taken, updates)
        saved = prepared.write()
        updated = writer.update(updates, user_id=user_id, username=actor.username)
        detail = {"created": saved, "updated": updated, "file": filename, "job": job_id}
        record(actor, "member.import", detail=detail)
    held = time.perf_counter() - started
    log.info(
        "import %s: %d new and %d updated members saved; the transaction took %.2fs",
        job_id, saved, updated, held, extra={"held": held},
    )  # fmt: skip
    progress(total, total)
    return Outcome(stage.count + stage.update_count, Problems(), saved, updated)


def _recheck(stage: Stage, digests: list[tuple[int, str, str]], updates: list[tuple]) -> None:
    """Inside the save transaction: the names still mean the same nodes, no ID number of a
    new member was registered meanwhile, and every member to update is still in the area at
    the version the check saw (they stay locked until the save ends). SQLite holds the write
    lock here; on PostgreSQL the row locks, the unique index and the foreign keys catch
    whatever commits after this point."""
    problems = Problems()
    changed = Lookups.load().changed(stage.names)
    if changed:
        problems.file_level(
            _(
                "Since the check, these organizations or places were renamed, moved or removed: "
                "%(names)s. Nothing was imported; upload the file again."
            )
            % {"names": "、".join(changed[:20])}
        )
    report_taken(digests, problems)
    stale = writer.lock_members(updates)
    for number, _pk, _version, id_mask, _values, _history in stale:
        problems.add(
            number,
            HEADER_OF["id_number"],
            id_mask,
            _(
                "This member was changed, deleted or moved out of your area since the file "
                "was checked. Nothing was imported; upload the file again to see the changes "
                "against the record as it is now."
            ),
        )
    if problems:
        raise ZoneChanged(problems)
