"""Member import pages: upload a file, follow its check, read the problems or confirm the save.
The work happens in `heli worker` (heli.members.imports.jobs); these views only queue it and
show where it stands."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, requires
from heli.control.forms import StyledForm
from heli.control.import_forms import ImportSetupForm
from heli.control.views.common import attachment
from heli.core.scoping import get_scoped_or_404
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs, setup
from heli.members.imports.changes import UPDATE_RULE
from heli.members.imports.columns import COLUMNS, HEADER_OF
from heli.members.imports.problems import ERROR_LIMIT
from heli.members.imports.reader import MAX_ROWS
from heli.members.imports.report import ErrorReport
from heli.members.imports.template import FILENAME, template_xlsx

RECENT_JOBS = 20


class UploadForm(StyledForm, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


def _jobs():
    return ImportJob.objects.select_related("created_by")


# The upload handler must be in place before anything reads the request body, and the CSRF
# middleware reads it for POST views: so the outer view is exempt and the inner one checks.
@csrf_exempt
@requires(Right.EDIT_MEMBERS)
def member_import(request: HttpRequest) -> HttpResponse:
    request.upload_handlers.insert(0, files.SizeLimitedUpload(request))
    return _member_import(request)


@csrf_protect
def _member_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    refusal = ""
    if request.method == "POST":
        if getattr(request, "import_too_large", False):
            refusal = str(files.too_large())
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = jobs.create_job(
                    request.user, upload.chunks(), upload.name, request.LANGUAGE_CODE
                )
            except files.FileRefused as exc:
                refusal = str(exc)
            else:
                return redirect("control:member_import_job", pk=job.pk)
    return render(
        request,
        "control/member_import.html",
        {
            "form": form,
            "refusal": refusal,
            "required_columns": "、".join(c.header for c in COLUMNS if c.required),
            "max_rows": MAX_ROWS,
            "max_mb": files.max_bytes() // (1024 * 1024),
            "update_rule": UPDATE_RULE,
            "recent": _jobs()[:RECENT_JOBS],
        },
    )


@requires(Right.EDIT_MEMBERS)
def member_import_template(request: HttpRequest) -> HttpResponse:
    return attachment(template_xlsx(), FILENAME)


@requires(Right.EDIT_MEMBERS)
def member_import_job(request: HttpRequest, pk) -> HttpResponse:
    return _job_page(request, get_scoped_or_404(_jobs(), pk=pk))


def _job_page(request: HttpRequest, job: ImportJob, form: ImportSetupForm | None = None):
    context = {
        "job": job,
        "statuses": JobStatus,
        "error_limit": ERROR_LIMIT,
        "update_rule": UPDATE_RULE,
        "mapped": _mapped_columns(job),
    }
    if job.status == JobStatus.NEEDS_SETUP:
        context["setup_form"] = form or ImportSetupForm(job)
        context["missing"] = [HEADER_OF[k] for k in (job.header_setup or {}).get("missing", [])]
    if job.errors:
        context["page"] = paginate(request, job.errors)
    elif job.changes:
        # The updates the check found, field by field (before the confirmation and after).
        context["changes"] = paginate(request, job.changes)
    return render(request, "control/member_import_job.html", context)


def _mapped_columns(job: ImportJob) -> list[tuple[str, str]]:
    """(header, field label or "") of the columns read through the user's choices, so the page
    says how each unrecognised header was taken."""
    return [(header, HEADER_OF.get(key, "")) for header, key in sorted((job.mapping or {}).items())]


@requires(Right.EDIT_MEMBERS)
@require_POST
def member_import_setup(request: HttpRequest, pk) -> HttpResponse:
    """The user's answers to what the file needs (sheet, unknown columns): the check runs again."""
    job = get_scoped_or_404(_jobs(), pk=pk)
    if job.status != JobStatus.NEEDS_SETUP:
        messages.info(request, _("This file is not waiting for your choices."))
        return redirect("control:member_import_job", pk=job.pk)
    form = ImportSetupForm(job, request.POST)
    if form.is_valid():
        sheet, choices = form.answers()
        try:
            answered = setup.answer(job, Actor.from_request(request), sheet, choices)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if answered:
                messages.success(request, _("Thank you. The file is being checked again."))
            else:
                messages.info(request, _("This file is not waiting for your choices."))
            return redirect("control:member_import_job", pk=job.pk)
    return _job_page(request, job, form)


@requires(Right.EDIT_MEMBERS)
def member_import_status(request: HttpRequest, pk) -> JsonResponse:
    """Polled by the job page while a worker is on the job."""
    return JsonResponse(jobs.status_of(get_scoped_or_404(ImportJob, pk=pk)))


@requires(Right.EDIT_MEMBERS)
def member_import_errors(request: HttpRequest, pk) -> HttpResponse:
    job = get_scoped_or_404(ImportJob, pk=pk)
    return attachment(ErrorReport(job).to_xlsx(), f"import-errors-{job.pk}.xlsx")


@requires(Right.EDIT_MEMBERS)
@require_POST
def member_import_save(request: HttpRequest, pk) -> HttpResponse:
    job = get_scoped_or_404(ImportJob, pk=pk)
    if jobs.confirm(job, Actor.from_request(request)):
        messages.success(request, _("The import is queued; the page follows its progress."))
    else:
        messages.info(request, _("This file is not waiting for confirmation."))
    return redirect("control:member_import_job", pk=job.pk)
