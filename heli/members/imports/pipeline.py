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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.core import pinyin
from heli.core.ids import IdPool, allocate_ids
from heli.members.imports import parts, writer
from heli.members.imports.changes import Plan
from heli.members.imports.columns import HEADER_OF
from heli.members.imports.lookups import Lookups
from heli.members.imports.matching import Registry, collect_ids
from heli.members.imports.parts import Work
from heli.members.imports.problems import Problems
from heli.members.imports.reader import Sheet, SheetRefused, open_sheet
from heli.members.imports.setup import NeedsSetup, Setup
from heli.members.imports.staging import Stage, StageWriter
from heli.members.imports.validate import report_taken
from heli.members.imports.writer import DIGEST_AT
from heli.members.models import Member

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
    # The spreadsheet is read in a child process; meanwhile this one loads what the rows
    # will need (before the check forks, so that no part loads it again).
    loading = threading.Thread(target=pinyin.load, daemon=True)
    loading.start()
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
    finally:
        loading.join()
    _ask_when_needed(sheet, setup)
    total = sheet.estimated_rows
    progress(0, total)
    lookups = Lookups.load()
    stager = _stager(stage, total)

    def done(count: int) -> None:
        progress(count, max(total, count))

    try:
        found = None
        if parts.split(sheet):
            found = parts.check_in_parts(sheet, lookups, stager, done)
            if found is None and stager is not None:
                stager.discard()  # the parts could not be put together: anew, in one part
                stager = _stager(stage, total)
        if found is None:
            ids = collect_ids(sheet)
            work = Work(sheet, lookups, Registry.load(ids.digests.values()), ids)
            found = parts.check_rows(work, sheet.numbered(), stager, done)
    except BaseException:
        if stager is not None:
            stager.discard()
        raise
    problems = Problems()
    problems.warnings.extend(sheet.warnings)  # hidden rows and columns: shown, not errors
    problems.merge(found.problems)
    if found.count == 0:
        problems.file_level(_("The sheet has a header row but no members below it."))
    found.warn(problems, sheet.name)
    if stager is not None:
        if problems:
            stager.discard()
        else:
            stager.close(found.used)
    progress(found.count, found.count)
    # What a file would do is known only when it is valid (the plan stops at the first
    # problem, and a file checked in parts has a first problem in each).
    plan = Plan() if problems else found.plan
    return Outcome(found.count, problems, plan=plan, sheet=sheet.name, mapping=sheet.header.mapped)


def _stager(stage: Path | None, rows: int) -> StageWriter | None:
    """The stage of a check, with an id for each of the sheet's rows taken at once (every
    new member's values are encrypted for its row; rows that update members or are skipped
    leave gaps): one allocation, so on SQLite one short wait for the write lock."""
    if stage is None:
        return None
    return StageWriter(stage, IdPool(Member, ids=allocate_ids(Member, rows)))


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
