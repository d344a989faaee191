"""Large exports as background jobs: the page queues an `ExportJob` and its task (`run_export`,
carrying the job's id), `heli worker` writes the workbook to disk in constant memory (progress
on the job row), and the account that asked for it downloads the file. The task claims the job
with a conditional UPDATE from the queued state, so a task run twice writes it once; a job
whose worker died (no progress for STALE_AFTER) is queued again with a new task by the
periodic `heli.core.tasks.requeue_stale_exports`.

What a job of a kind exports is decided by a builder registered for that kind by the front end
that offers the export (`register`): given the job, it returns the exporter and the title block,
and it runs in the scope and language of the account that asked, as the page would have.
Other background work of one account with progress on the same page (a batch of letters as
one Word file or a zip, a batch that changes letters) registers a `Work` instead
(`register_work`): it writes the job's file itself, or none (a job without a file name), and
says what it did; a ValidationError it raises fails the job with its message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from heli.core.background import enqueue
from heli.core.exporters import XLSX_TYPE, Exporter, SheetInfo
from heli.core.models import ExportJob, ExportStatus
from heli.core.scoping import activate

log = logging.getLogger(__name__)

Builder = Callable[[ExportJob], tuple[Exporter, SheetInfo]]
BUILDERS: dict[str, Builder] = {}
Progress = Callable[[int], None]
# (job, its file, progress) -> (items done, what to say on the page)
Work = Callable[[ExportJob, Path, Progress], tuple[int, str]]
WORKS: dict[str, Work] = {}
CONTENT_TYPES = {
    ".xlsx": XLSX_TYPE,
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".zip": "application/zip",
}
# Finished files are kept this long, then removed with their jobs (they may hold personal data).
KEEP_FOR = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=15)


def register(kind: str, builder: Builder) -> None:
    BUILDERS[kind] = builder


def register_work(kind: str, work: Work) -> None:
    WORKS[kind] = work


def export_dir() -> Path:
    path = Path(settings.HELI_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def suffix_of(job: ExportJob) -> str:
    suffix = Path(job.filename).suffix.lower()
    return suffix if suffix in CONTENT_TYPES else ".xlsx"


def file_of(job: ExportJob) -> Path:
    return export_dir() / f"{job.pk}{suffix_of(job)}"


def content_type(job: ExportJob) -> str:
    return CONTENT_TYPES[suffix_of(job)]


def queue(
    user, *, kind: str, params: dict, unmasked: bool, title: str, filename: str, total: int
) -> ExportJob:
    job = ExportJob.unscoped.create(
        kind=kind,
        created_by=user,
        org_path=user.org.path if user.org_id else "",
        language=translation.get_language() or settings.LANGUAGE_CODE,
        params=params,
        unmasked=unmasked,
        title=title[:200],
        filename=filename[-255:],
        total_rows=total,
    )
    enqueue(run_export, str(job.pk))
    return job


def _claim(job: ExportJob) -> bool:
    moved = ExportJob.unscoped.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, updated_at=timezone.now()
    )
    return moved == 1


@task()
def run_export(job_id: str) -> str:
    """Write the export of the job, unless another run of its task has it already."""
    job = ExportJob.unscoped.filter(pk=job_id).first()
    if job is None or not _claim(job):
        return f"{job_id}: not queued"
    run(job)
    return f"{job.pk} {job.filename}: {job.status}"


def run(job: ExportJob) -> None:
    """Write the job's file in the asking account's scope and language."""
    scope = job.created_by.scope()
    with activate(scope), translation.override(job.language):
        if job.kind in WORKS and scope.org_path is not None:
            _run_work(job, WORKS[job.kind])
            return
        builder = BUILDERS.get(job.kind)
        if builder is None or scope.org_path is None:
            _finish(job, ExportStatus.FAILED, _("This export can no longer be made; ask again."))
            return
        try:
            exporter, info = builder(job)
            rows = exporter.write_xlsx(str(file_of(job)), info, lambda n: _progress(job, n))
        except Exception:  # the job must end either way; the traceback goes to the log
            log.exception("export job %s failed", job.pk)
            file_of(job).unlink(missing_ok=True)
            _finish(job, ExportStatus.FAILED, _("The export failed; try again or ask for help."))
            return
        _finish(job, ExportStatus.DONE, "", processed_rows=rows, total_rows=rows)


def _run_work(job: ExportJob, work: Work) -> None:
    try:
        done, message = work(job, file_of(job), lambda n: _progress(job, n))
    except ValidationError as exc:
        file_of(job).unlink(missing_ok=True)
        _finish(job, ExportStatus.FAILED, " ".join(exc.messages))
        return
    except Exception:  # the job must end either way; the traceback goes to the log
        log.exception("background job %s failed", job.pk)
        file_of(job).unlink(missing_ok=True)
        _finish(job, ExportStatus.FAILED, _("The export failed; try again or ask for help."))
        return
    _finish(job, ExportStatus.DONE, message, processed_rows=done, total_rows=done)


def _progress(job: ExportJob, rows: int) -> None:
    ExportJob.unscoped.filter(pk=job.pk).update(processed_rows=rows, updated_at=timezone.now())


def _finish(job: ExportJob, status: str, message: str, **fields) -> None:
    ExportJob.unscoped.filter(pk=job.pk).update(
        status=status, message=message, finished_at=timezone.now(), **fields
    )
    job.refresh_from_db()


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Jobs left running by a worker that stopped go back to the queue, each with a new task."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    requeued = 0
    for job in ExportJob.unscoped.filter(status=ExportStatus.RUNNING, updated_at__lt=cutoff):
        moved = ExportJob.unscoped.filter(
            pk=job.pk, status=ExportStatus.RUNNING, updated_at__lt=cutoff
        ).update(status=ExportStatus.QUEUED, processed_rows=0, updated_at=timezone.now())
        if moved:
            enqueue(run_export, str(job.pk))
            requeued += 1
    return requeued


def prune(now: dt.datetime | None = None) -> int:
    """Remove jobs (and files) older than KEEP_FOR."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    old = list(ExportJob.unscoped.filter(created_at__lt=cutoff))
    for job in old:
        file_of(job).unlink(missing_ok=True)
    return ExportJob.unscoped.filter(pk__in=[job.pk for job in old]).delete()[0]
