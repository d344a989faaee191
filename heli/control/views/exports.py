"""Background exports for the account that asked for them: progress, then the download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from heli.core import exportjobs
from heli.core.exporters import safe_filename
from heli.core.models import ExportJob, ExportStatus
from heli.core.nostore import forbid_storing
from heli.core.scoping import get_scoped_or_404


def _own_job(request: HttpRequest, pk) -> ExportJob:
    """A job is seen by the account that asked for it only (another's answers 404)."""
    return get_scoped_or_404(ExportJob.objects.filter(created_by=request.user), pk=pk)


@login_required  # a job is its asker's only (_own_job): the audit log's export too
def export_job(request: HttpRequest, pk) -> HttpResponse:
    job = _own_job(request, pk)
    return render(request, "control/export_job.html", {"job": job, "statuses": ExportStatus})


@login_required
def export_job_status(request: HttpRequest, pk) -> JsonResponse:
    job = _own_job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "running": job.is_running,
            "percent": job.percent,
            "processed": job.processed_rows,
            "total": job.total_rows,
        }
    )


@login_required
def export_download(request: HttpRequest, pk) -> HttpResponse:
    job = _own_job(request, pk)
    path = exportjobs.file_of(job)
    if job.status != ExportStatus.DONE or not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=safe_filename(job.filename)
    )
    response["Content-Type"] = exportjobs.content_type(job)
    return forbid_storing(response)
