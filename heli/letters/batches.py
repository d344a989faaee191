"""Batches of letters in the background: a batch of more than HELI_LETTER_INLINE_BATCH
letters, as one Word file, a zip of one file each, or the batch's reminder, runs as a job of
`heli.core.exportjobs` (the export job page shows its progress; a file waits for the account
that asked, as an export's does). A smaller batch is answered at once by the page.

The job names its letters by id; the worker fetches them again in the asking account's scope
(one gone or outside it fails the whole job) and the reminder of the batch is
`services.remind_all`: one transaction, all or none, the rights of the account checked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from heli.audit.services import Actor
from heli.core import exportjobs
from heli.core.models import ExportJob

from . import docx, services
from .models import ReminderLetter

DOCX, ZIP, REMIND = "letters.docx", "letters.zip", "letters.remind"


def inline_limit() -> int:
    return settings.HELI_LETTER_INLINE_BATCH


def runs_in_background(letters: Sequence[ReminderLetter]) -> bool:
    return len(letters) > inline_limit()


def queue_file(user, letters: Sequence[ReminderLetter], *, as_zip: bool) -> ExportJob:
    """The letters as one .docx (or a zip) written by the worker."""
    name = docx.zip_filename(letters) if as_zip else docx.filename(letters)
    return exportjobs.queue(
        user,
        kind=ZIP if as_zip else DOCX,
        params={"ids": [letter.pk for letter in letters]},
        unmasked=False,
        title=_("Reminder letters"),
        filename=name,
        total=len(letters),
    )


def queue_reminder(user, letters: Sequence[ReminderLetter], note: str = "") -> ExportJob:
    """A reminder for each letter, recorded by the worker all or none (a job without a file)."""
    return exportjobs.queue(
        user,
        kind=REMIND,
        params={"ids": [letter.pk for letter in letters], "note": note},
        unmasked=False,
        title=_("Reminders for %(count)s letters") % {"count": len(letters)},
        filename="",
        total=len(letters),
    )


def _letters(job: ExportJob) -> list[ReminderLetter]:
    """The job's letters through the asking account's scope, in the batch's order."""
    pks = job.params.get("ids") or []
    found = ReminderLetter.objects.select_related("member", "issuing_org", "record").filter(
        pk__in=pks
    )
    by_pk = {letter.pk: letter for letter in found}
    if not pks or len(by_pk) != len(set(pks)):
        raise ValidationError(_("Some of these letters are no longer yours to see; ask again."))
    return [by_pk[pk] for pk in pks]


def _write(as_zip: bool):
    def work(job: ExportJob, path: Path, progress: exportjobs.Progress) -> tuple[int, str]:
        letters = _letters(job)
        data = (docx.render_zip if as_zip else docx.render)(letters, progress)
        path.write_bytes(data)
        return len(letters), ""

    return work


def _remind(job: ExportJob, path: Path, progress: exportjobs.Progress) -> tuple[int, str]:
    letters = _letters(job)
    count = services.remind_all(Actor(user=job.created_by), letters, job.params.get("note", ""))
    return count, _("Recorded a reminder for %(count)s letters.") % {"count": count}


exportjobs.register_work(DOCX, _write(as_zip=False))
exportjobs.register_work(ZIP, _write(as_zip=True))
exportjobs.register_work(REMIND, _remind)
