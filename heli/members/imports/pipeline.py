"""The two phases of an import, as plain functions.

`check` is the dry run: every row of the uploaded file is validated and every problem
collected; nothing is written to the database. While no problem has been found, each valid row
is also encrypted and staged (see `staging`), so that a valid file is ready to save.

`save` opens ONE short transaction that re-checks what may have changed in the zone since the
check (the names resolved, the ID numbers registered meanwhile), inserts every staged row and
writes the audit entry. A problem anywhere means nothing is saved. The transaction is kept
short on purpose: on SQLite it holds the database's write lock, and every page view writes its
session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.members.imports import writer
from heli.members.imports.lookups import Lookups
from heli.members.imports.problems import Problems
from heli.members.imports.reader import open_sheet
from heli.members.imports.staging import Stage, StageWriter
from heli.members.imports.validate import RowValidator, report_taken

PROGRESS_EVERY = 1000

Progress = Callable[[int, int], None]  # (rows done, rows in all)


def _quiet(done: int, total: int) -> None:
    pass


@dataclass
class Outcome:
    rows: int  # data rows in the file
    problems: Problems
    saved: int = 0


class ZoneChanged(Exception):
    """The re-check inside the save transaction found the zone changed since the check."""

    def __init__(self, problems: Problems):
        super().__init__("the zone changed since the check")
        self.problems = problems


def check(path: Path, kind: str, progress: Progress = _quiet, stage: Path | None = None) -> Outcome:
    """Validate every row in the active scope. With `stage`, a valid file's rows are left
    there ready to save (nothing is left when there is a problem). FileRefused for bad files."""
    sheet = open_sheet(path, kind)
    problems = Problems()
    lookups = Lookups.load()
    validator = RowValidator(sheet.positions, lookups, problems)
    stager = StageWriter(stage) if stage is not None else None
    total, count = sheet.estimated_rows, 0
    progress(0, total)
    try:
        for number, cells in sheet.rows:
            row = validator(number, cells)
            count += 1
            if stager is not None and row is not None and not problems:
                stager.add(row)
            if count % PROGRESS_EVERY == 0:
                progress(count, max(total, count))
        if count == 0:
            problems.file_level(_("The sheet has a header row but no members below it."))
        validator.finish()
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
    return Outcome(count, problems)


def save(
    stage_path: Path,
    actor: Actor,
    *,
    job_id: str,
    filename: str,
    progress: Progress = _quiet,
) -> Outcome:
    """Import every staged row or none (ZoneChanged when the re-check fails). StageError when
    the stage is missing or not heli's."""
    stage = Stage(stage_path)
    progress(0, stage.count)
    taken = stage.digests()
    with transaction.atomic():
        _recheck(stage, taken)
        saved = writer.write(
            stage.records(),
            stage.count,
            user_id=actor.user.pk if actor.user is not None else None,
            username=actor.username,
            job_id=job_id,
        )
        record(actor, "member.import", detail={"rows": saved, "file": filename})
    progress(saved, stage.count)
    return Outcome(stage.count, Problems(), saved)


def _recheck(stage: Stage, digests: list[tuple[int, str, str]]) -> None:
    """Inside the save transaction: the names still mean the same nodes and no ID number was
    registered meanwhile. SQLite holds the write lock here; on PostgreSQL the unique index and
    the foreign keys catch whatever commits after this point."""
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
    if problems:
        raise ZoneChanged(problems)
