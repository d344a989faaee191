"""Large exports as background jobs: the page queues an `ExportJob`, `heli worker` writes the
workbook to disk in constant memory (progress on the job row), and the account that asked for
it downloads the file.

What a job of a kind exports is decided by a builder registered for that kind by the front end
that offers the export (`register`): given the job, it returns the exporter and the title block,
and it runs in the scope and language of the account that asked, as the page would have.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from heli.core.claims import claim_first
from heli.core.exporters import Exporter, SheetInfo
from heli.core.models import ExportJob, ExportStatus
from heli.core.scoping import activate

log = logging.getLogger(__name__)

Builder = Callable[[ExportJob], tuple[Exporter, SheetInfo]]
BUILDERS: dict[str, Builder] = {}
# Finished files are kept this long, then removed with their jobs (they may hold personal data).
KEEP_FOR = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=15)


def register(kind: str, builder: Builder) -> None:
    BUILDERS[kind] = builder


def export_dir() -> Path:
    path = Path(settings.HELI_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(job: ExportJob) -> Path:
    return export_dir() / f"{job.pk}.xlsx"


def queue(
    user, *, kind: str, params: dict, unmasked: bool, title: str, filename: str, total: int
) -> ExportJob:
    return ExportJob.unscoped.create(
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


def _claim(job: ExportJob) -> bool:
    moved = ExportJob.unscoped.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, updated_at=timezone.now()
    )
    return moved == 1


def claim_next() -> ExportJob | None:
    queued = ExportJob.unscoped.filter(status=ExportStatus.QUEUED).order_by("created_at")
    return claim_first(queued, _claim)


def run_next() -> ExportJob | None:
    job = claim_next()
    if job is None:
        return None
    run(job)
    return job


def run(job: ExportJob) -> None:
    """Write the job's file in the asking account's scope and language."""
    scope = job.created_by.scope()
    with activate(scope), translation.override(job.language):
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


def _progress(job: ExportJob, rows: int) -> None:
    ExportJob.unscoped.filter(pk=job.pk).update(processed_rows=rows, updated_at=timezone.now())


def _finish(job: ExportJob, status: str, message: str, **fields) -> None:
    ExportJob.unscoped.filter(pk=job.pk).update(
        status=status, message=message, finished_at=timezone.now(), **fields
    )
    job.refresh_from_db()


def requeue_stale() -> int:
    """Jobs left running by a worker that stopped go back to the queue."""
    return ExportJob.unscoped.filter(
        status=ExportStatus.RUNNING, updated_at__lt=timezone.now() - STALE_AFTER
    ).update(status=ExportStatus.QUEUED, processed_rows=0)


def prune(now: dt.datetime | None = None) -> int:
    """Remove jobs (and files) older than KEEP_FOR."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    old = list(ExportJob.unscoped.filter(created_at__lt=cutoff))
    for job in old:
        file_of(job).unlink(missing_ok=True)
    return ExportJob.unscoped.filter(pk__in=[job.pk for job in old]).delete()[0]
