"""What a file needs from the user before it can be checked (表头确认): the sheet to read when
the workbook has several, and a field or "ignore" for every header heli does not recognise.

The check stops with `NeedsSetup` instead of guessing; the job waits in NEEDS_SETUP, the page
asks, and `answer` stores the answers on the job and remembers the header choices for the
uploader's organization (HeaderMapping) before the check runs again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from heli.audit.services import Actor
from heli.core.background import enqueue
from heli.members.import_models import HeaderMapping, ImportJob, JobStatus
from heli.members.imports.columns import COLUMNS, HEADER_OF
from heli.members.imports.headers import IGNORE, normalize_header


@dataclass
class Setup:
    """The user's answers so far: the sheet to read ("" = not chosen) and header choices."""

    sheet: str = ""
    mapping: dict[str, str] = field(default_factory=dict)


class NeedsSetup(Exception):
    """The check cannot go on without the user: `sheets` to choose from (empty when there is
    nothing to choose), the sheet read, and the header as found."""

    def __init__(self, *, sheet: str, sheets: list[str], header: dict):
        super().__init__("the file needs the user's choices")
        self.sheet = sheet
        self.sheets = sheets
        self.header = header


def remembered(org_id: int | None) -> dict[str, str]:
    """{normalized header: field or IGNORE} an organization chose on earlier imports."""
    if org_id is None:
        return {}
    # Through the scope: the worker runs in the uploader's, which holds their organization.
    return dict(HeaderMapping.objects.filter(org_id=org_id).values_list("header", "field"))


def effective(job: ImportJob) -> Setup:
    """The job's setup: its own answers over those remembered for the uploader's org."""
    mapping = remembered(job.created_by.org_id) | dict(job.mapping or {})
    return Setup(sheet=job.sheet, mapping=mapping)


def answer(job: ImportJob, actor: Actor, sheet: str, choices: dict[str, str]) -> bool:
    """Store the user's sheet and header choices and queue the check again (with its task).
    `choices` maps a header AS WRITTEN in the file to a field key or IGNORE. ValidationError
    when the answers leave a required column missing, give one field twice, or name an unknown
    field; False when the job is no longer waiting for them."""
    setup = job.header_setup or {}
    chosen_sheet = sheet or job.sheet
    sheet_changed = bool(job.sheets) and chosen_sheet != job.sheet
    mapping = dict(job.mapping or {})
    if not sheet_changed:
        # A new sheet has other headers: its questions come with its own check.
        _validate(setup, choices)
        mapping |= {normalize_header(header): key for header, key in choices.items()}
    with transaction.atomic():
        moved = ImportJob.unscoped.filter(pk=job.pk, status=JobStatus.NEEDS_SETUP).update(
            status=JobStatus.QUEUED_CHECK,
            sheet=chosen_sheet,
            mapping=mapping,
            processed_rows=0,
            attempts=0,  # a new check: earlier starts died of nothing
        )
        if not moved:
            return False
        # Here, not at the top: jobs (which holds the task) imports this module.
        from heli.members.imports.jobs import run_import

        enqueue(run_import, str(job.pk))
        org_id = job.created_by.org_id
        if not sheet_changed and org_id is not None:
            for header, key in choices.items():
                HeaderMapping.objects.update_or_create(
                    org_id=org_id,
                    header=normalize_header(header)[:100],
                    defaults={"field": key, "updated_by": actor.user},
                )
    job.status, job.sheet, job.mapping = JobStatus.QUEUED_CHECK, chosen_sheet, mapping
    return True


def _validate(setup: dict, choices: dict[str, str]) -> None:
    asked = {header for _position, header, _suggestion in setup.get("unknown", [])}
    unanswered = [header for header in asked if header not in choices]
    if unanswered:
        raise ValidationError(
            _("Choose a field, or “ignore”, for every column: %(columns)s.")
            % {"columns": "、".join(sorted(unanswered))}
        )
    fields = {c.key for c in COLUMNS}
    present = set(setup.get("present", []))
    given: dict[str, str] = {}
    errors: list[str] = []
    for header, key in choices.items():
        if key == IGNORE:
            continue
        if key not in fields:
            errors.append(_("“%(value)s” is not a field of the template.") % {"value": key})
        elif key in present:
            errors.append(
                _("Column “%(header)s”: the file already has a column for %(field)s.")
                % {"header": header, "field": HEADER_OF[key]}
            )
        elif key in given:
            errors.append(
                _("Columns “%(first)s” and “%(second)s” are both given as %(field)s.")
                % {"first": given[key], "second": header, "field": HEADER_OF[key]}
            )
        else:
            given[key] = header
    missing = [k for k in setup.get("missing", []) if k not in given]
    if missing:
        errors.append(
            _(
                "These required columns are still missing: %(columns)s. Choose the file's "
                "column for each."
            )
            % {"columns": "、".join(HEADER_OF[k] for k in missing)}
        )
    if errors:
        raise ValidationError(errors)
