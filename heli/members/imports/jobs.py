"""The life of an ImportJob: created by an upload, checked by a worker, confirmed by a user,
saved by a worker. Each queued phase has its task (`run_import`, carrying the job's id: see
heli.core.background), which claims the job with a conditional UPDATE (status = the queued
state), so a phase runs once even if its task were run twice; the task backend makes sure two
workers never take the same task.

A worker runs a job in the uploader's scope and language: it sees exactly the organizations
and places the uploader sees, and writes its problems in the uploader's language.

A worker can die mid-phase (killed, out of memory, the machine restarted). While it runs a
phase it holds the job's lock file (`files.holding`) and moves `updated_at` (progress, and a
heartbeat while the sheet is read in its child process); every worker loop looks for running
jobs with no news for STALE_AFTER whose lock nobody holds (the periodic task
`heli.members.tasks.requeue_stale_imports`), and queues them again with a new task, or fails
them once MAX_ATTEMPTS starts of the phase have died (`attempts`), so that no file is retried
forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.db import IntegrityError
from django.db.models import F, Q
from django.db.models.expressions import CombinedExpression
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from heli.accounts.roles import Right, require
from heli.audit.services import Actor
from heli.core.background import enqueue
from heli.core.scoping import activate
from heli.env import envint
from heli.members.import_models import QUEUED, ImportJob, JobStatus
from heli.members.imports import files, pipeline, setup
from heli.members.imports.files import FileRefused
from heli.members.imports.problems import Problems
from heli.members.imports.staging import StageError

log = logging.getLogger(__name__)

# A running job whose progress has not moved for this long, and whose lock nobody holds, lost
# its worker (HELI_IMPORT_STALE_SECONDS changes it, for tests).
STALE_AFTER = dt.timedelta(seconds=60)
# A phase whose worker died this many times is not started again.
MAX_ATTEMPTS = 2
# A checked file nobody confirmed is dropped (it holds ID numbers in clear).
UNCONFIRMED_FOR = dt.timedelta(days=7)
NEXT_STATE = {JobStatus.QUEUED_CHECK: JobStatus.CHECKING, JobStatus.QUEUED_SAVE: JobStatus.SAVING}
QUEUE_OF = {running: queued for queued, running in NEXT_STATE.items()}


def create_job(user, chunks: Iterable[bytes], filename: str, language: str) -> ImportJob:
    """Store an upload and queue its check. FileRefused (nothing kept) when the file is not an
    .xlsx/.csv by name and content, too large, or a zip bomb."""
    require(user, Right.EDIT_MEMBERS)
    files.kind_by_name(filename)
    job_id = uuid.uuid4()
    path = files.store_upload(chunks, job_id)
    try:
        files.inspect(path, filename)
        job = ImportJob.unscoped.create(
            id=job_id,
            created_by=user,
            org_path=user.org.path,
            filename=filename[-255:],
            size=path.stat().st_size,
            language=language or "zh-hans",
        )
        enqueue(run_import, str(job.pk))
        return job
    except BaseException:
        files.remove_upload(job_id)
        raise


def confirm(job: ImportJob, actor: Actor) -> bool:
    """Queue a checked job for saving; False when it is not (or no longer) waiting."""
    require(actor.user, Right.EDIT_MEMBERS)
    moved = _move(
        job,
        JobStatus.CHECKED,
        JobStatus.QUEUED_SAVE,
        confirmed_by=actor.user,
        confirmed_ip=actor.ip_address,
        processed_rows=0,
        attempts=0,
    )
    if moved:
        enqueue(run_import, str(job.pk))
    return moved


def _move(job: ImportJob, old: str, new: str, *, where: Q | None = None, **fields) -> bool:
    """The conditional UPDATE every state change goes through: only one caller wins."""
    moved = (
        ImportJob.unscoped.filter(pk=job.pk, status=old)
        .filter(where or Q())
        .update(status=new, updated_at=timezone.now(), **fields)
    )
    if moved:
        job.status = new
        for name, value in fields.items():
            if not isinstance(value, F | CombinedExpression):
                setattr(job, name, value)
    return moved == 1


def claim(job: ImportJob) -> bool:
    """Take a queued job for this worker; one more start of its phase."""
    new = NEXT_STATE.get(job.status)
    if new is None or not _move(job, job.status, new, processed_rows=0, attempts=F("attempts") + 1):
        return False
    job.refresh_from_db(fields=["attempts"])
    return True


@task()
def run_import(job_id: str) -> str:
    """The task of a queued phase: run it, unless another run of this task already has."""
    job = ImportJob.unscoped.filter(pk=job_id).first()
    if job is None or job.status not in QUEUED:  # done, or running under another task
        return f"{job_id}: not queued"
    job = run_job(job)
    return f"{job.pk} {job.filename}: {job.status}"


def run_job(job: ImportJob) -> ImportJob:
    """Run the job's current phase to its end (claiming it first if it is still queued)."""
    if job.status in QUEUED and not claim(job):
        job.refresh_from_db()
        return job
    scope = job.created_by.scope()
    with files.holding(job.pk), activate(scope), translation.override(job.language):
        if scope.org_path is None:  # the account was disabled or lost its organization
            _finish(
                job,
                JobStatus.FAILED,
                message=_(
                    "The account that uploaded this file can no longer import; upload it again."
                ),
            )
            return job
        try:
            if job.status == JobStatus.CHECKING:
                _check(job)
            elif job.status == JobStatus.SAVING:
                _save(job)
        except FileRefused as exc:
            _finish(job, JobStatus.FAILED, message=str(exc))
        except Exception:
            log.exception("import job %s failed", job.pk)
            _finish(
                job,
                JobStatus.FAILED,
                message=_(
                    "The import stopped on an unexpected error and nothing was imported. Try "
                    "again, or tell the administrator."
                ),
            )
    return job


def _progress(job: ImportJob):
    def report(done: int, total: int) -> None:
        job.processed_rows, job.total_rows = done, total
        ImportJob.unscoped.filter(pk=job.pk).update(
            processed_rows=done, total_rows=total, updated_at=timezone.now()
        )

    return report


def _heartbeat(job: ImportJob):
    """The save's progress: it writes the new and changed members only, so the file's row
    count (total_rows, from the check) stays as it is."""

    def report(done: int, total: int) -> None:
        ImportJob.unscoped.filter(pk=job.pk).update(updated_at=timezone.now())

    return report


def _check(job: ImportJob) -> None:
    path = files.upload_path(job.pk)
    kind = files.inspect(path, job.filename)
    stage = files.stage_path(job.pk)
    try:
        outcome = pipeline.check(
            path, kind, progress=_progress(job), stage=stage, setup=setup.effective(job)
        )
    except setup.NeedsSetup as needs:
        # The upload stays: the check runs again once the user has answered.
        _finish(
            job,
            JobStatus.NEEDS_SETUP,
            sheet=needs.sheet,
            sheets=needs.sheets,
            header_setup=needs.header,
        )
        return
    plan = outcome.plan
    fields = {
        "sheet": outcome.sheet,
        "mapping": outcome.mapping,
        "total_rows": outcome.rows,
        "processed_rows": outcome.rows,
        "new_rows": plan.new,
        "update_rows": plan.updates,
        "unchanged_rows": plan.unchanged,
        "change_count": plan.change_count,
        "changes": plan.changes,
        **_problem_fields(outcome.problems),
    }
    if outcome.problems:
        _finish(job, JobStatus.INVALID, **fields)
    elif not (plan.new or plan.updates):
        # Every row matches the registry as it is: there is nothing to confirm.
        message = _("Every row matches the registry: nothing needed to be imported or changed.")
        _finish(job, JobStatus.DONE, message=message, **fields)
    else:
        _finish(job, JobStatus.CHECKED, **fields)
    # Valid: the encrypted stage is all the save needs; the clear-text upload goes now.
    files.remove_upload(job.pk)


def _save(job: ImportJob) -> None:
    actor = Actor(user=job.confirmed_by or job.created_by, ip_address=job.confirmed_ip)
    try:
        outcome = pipeline.save(
            files.stage_path(job.pk),
            actor,
            job_id=str(job.pk),
            filename=job.filename,
            progress=_heartbeat(job),
        )
    except StageError:
        log.exception("import job %s: stage file unusable", job.pk)
        _finish(
            job,
            JobStatus.FAILED,
            message=_("The checked rows of this file are no longer available; upload it again."),
        )
        return
    except pipeline.ZoneChanged as exc:
        _finish(job, JobStatus.INVALID, **_problem_fields(exc.problems))
        return
    except IntegrityError:
        _finish(
            job,
            JobStatus.FAILED,
            message=_(
                "While the file was being imported, someone registered one of its members or "
                "removed one of its organizations or places. Nothing was imported; upload the "
                "file again to check it."
            ),
        )
        return
    _finish(job, JobStatus.DONE, imported_rows=outcome.saved, processed_rows=job.total_rows)


def _problem_fields(problems: Problems) -> dict:
    return {
        "error_count": problems.count,
        "errors": problems.as_json(),
        "warnings": problems.warnings,
    }


def _finish(job: ImportJob, status: str, **fields) -> None:
    fields.setdefault("message", "")
    if status in (JobStatus.DONE, JobStatus.INVALID, JobStatus.FAILED):
        fields["finished_at"] = timezone.now()
        # The upload holds ID numbers in clear: it goes as soon as no phase needs it.
        files.remove_all(job.pk)
    ImportJob.unscoped.filter(pk=job.pk).update(status=status, updated_at=timezone.now(), **fields)
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=envint("HELI_IMPORT_STALE_SECONDS", int(STALE_AFTER.seconds)))


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Queue again the jobs of workers that died mid-phase (a save that died rolled back), or
    fail those whose phase already died MAX_ATTEMPTS times. A job whose lock a live worker
    holds is left alone, however long it has been quiet."""
    cutoff = (now or timezone.now()) - stale_after()
    moved = 0
    stale = Q(updated_at__lt=cutoff)
    for job in ImportJob.unscoped.filter(stale, status__in=list(QUEUE_OF)).order_by("created_at"):
        if files.held(job.pk):
            continue
        with translation.override(job.language):
            if job.attempts >= MAX_ATTEMPTS:
                message = _(
                    "The worker stopped %(n)s times while handling this file, so it is not tried "
                    "again; nothing was imported. Check the file (or split it) and upload it "
                    "again, or tell the administrator."
                ) % {"n": job.attempts}
                stamp = timezone.now()
                if _move(
                    job,
                    job.status,
                    JobStatus.FAILED,
                    where=stale,
                    message=message,
                    finished_at=stamp,
                ):
                    files.remove_all(job.pk)
                    moved += 1
                continue
            message = _("The worker handling this file stopped; the file was queued again.")
        if _move(
            job, job.status, QUEUE_OF[job.status], where=stale, message=message, processed_rows=0
        ):
            enqueue(run_import, str(job.pk))
            moved += 1
    return moved


def expire_unconfirmed(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - UNCONFIRMED_FOR
    expired = 0
    waiting = (JobStatus.CHECKED, JobStatus.NEEDS_SETUP)
    for job in ImportJob.unscoped.filter(status__in=waiting, updated_at__lt=cutoff):
        with translation.override(job.language):
            message = _("Nobody confirmed the import within 7 days; upload the file again.")
        stamp = timezone.now()
        if _move(job, job.status, JobStatus.FAILED, message=message, finished_at=stamp):
            files.remove_all(job.pk)
            expired += 1
    return expired


def status_of(job: ImportJob) -> dict:
    """What the job page polls."""
    return {
        "status": job.status,
        "label": job.get_status_display(),
        "running": job.is_running,
        "total": job.total_rows,
        "processed": job.processed_rows,
        "percent": job.percent,
        "errors": job.error_count,
        "message": job.message,
    }
