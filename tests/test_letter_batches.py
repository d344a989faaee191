"""Batches of letters in the background: more than HELI_LETTER_INLINE_BATCH letters as one Word
file, a zip, or the batch's reminder become a job with progress on the export job page; the
file waits for the account that asked; the reminder is all or none; a small batch stays
immediate; a job's task run twice does its work once."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from docx import Document

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core import exportjobs
from heli.core.models import ExportJob, ExportStatus
from heli.letters import batches, services
from heli.letters.models import ReminderLetter
from heli.mobility import floating
from tests.factories import MemberFactory
from tests.taskqueue import run_queued

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _exports_in(tmp_path, settings):
    settings.HELI_EXPORT_DIR = str(tmp_path / "exports")
    settings.HELI_LETTER_INLINE_BATCH = 2


def _letters(world, count: int) -> list[ReminderLetter]:
    """`count` more letters of branch A, for members away 40 days."""
    actor = Actor(user=world.users["grid_worker"])
    records = []
    for n in range(count):
        member = MemberFactory(name=f"外出{n}", org=world.branch_a, residence_grid=world.grid_a)
        data = {
            "direction": "out", "place": "浙江省杭州市", "since": TODAY() - dt.timedelta(40),
            "flow_range": "other_province", "reason": "work", "expected_months": 12,
        }  # fmt: skip
        records.append(floating.register(actor, member, data))
    return services.issue(actor, records)


def _overdue(world, letters: list[ReminderLetter]) -> None:
    for letter in letters:
        services.mark_sent(Actor(user=world.users["grid_worker"]), letter, TODAY())
    ReminderLetter.unscoped.filter(pk__in=[x.pk for x in letters]).update(
        expected_reply_on=TODAY() - dt.timedelta(days=1)
    )


def _job_of(answer) -> ExportJob:
    assert answer.status_code == 302, answer
    pk = answer["Location"].rstrip("/").split("/")[-1]
    return ExportJob.unscoped.get(pk=pk)


def test_a_small_batch_of_letters_is_still_answered_at_once(world, client):
    letters = _letters(world, 2)
    client.force_login(world.users["grid_worker"])
    ids = ",".join(str(x.pk) for x in letters)
    answer = client.get(reverse("control:letter_batch_docx", kwargs={"ids": ids}))
    assert answer.status_code == 200 and answer["Content-Type"] == DOCX_TYPE
    assert not ExportJob.unscoped.filter(kind=batches.DOCX).exists()


def test_a_large_batch_becomes_a_job_whose_page_shows_progress_then_the_word_file(world, client):
    letters = _letters(world, 3)
    client.force_login(world.users["grid_worker"])
    ids = ",".join(str(x.pk) for x in letters)
    job = _job_of(client.get(reverse("control:letter_batch_docx", kwargs={"ids": ids})))
    assert (job.kind, job.total_rows, job.status) == (batches.DOCX, 3, ExportStatus.QUEUED)
    assert AuditEntry.unscoped.filter(action="letter.download").count() == 1, "audited on asking"
    page = client.get(reverse("control:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="export-progress"' in page and "3" in page
    status = client.get(reverse("control:export_job_status", kwargs={"pk": job.pk})).json()
    assert status["running"] and status["total"] == 3 and status["percent"] == 0
    assert f"{job.pk} {job.filename}: done" in run_queued()
    page = client.get(reverse("control:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="export-download"' in page
    answer = client.get(reverse("control:export_download", kwargs={"pk": job.pk}))
    assert answer["Content-Type"] == DOCX_TYPE and "no-store" in answer["Cache-Control"]
    text = "\n".join(
        p.text for p in Document(io.BytesIO(b"".join(answer.streaming_content))).paragraphs
    )
    assert all(letter.number in text for letter in letters)
    assert exportjobs.run_export.call(str(job.pk)).endswith("not queued"), "a second run: nothing"


def test_ticked_letters_as_a_zip_in_the_background_hold_one_file_each(world, client):
    letters = _letters(world, 3)
    client.force_login(world.users["grid_worker"])
    answer = client.post(
        reverse("control:letter_batch_download"),
        {"pick": [x.pk for x in letters], "format": "zip"},
    )
    job = _job_of(answer)
    run_queued()
    answer = client.get(reverse("control:export_download", kwargs={"pk": job.pk}))
    assert answer["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))).namelist()
    assert len(names) == 3 and all(name.endswith(".docx") for name in names)


def test_the_file_of_a_batch_is_the_asking_accounts_only(world, client):
    letters = _letters(world, 3)
    job = batches.queue_file(world.users["grid_worker"], letters, as_zip=False)
    run_queued()
    client.force_login(world.users["branch_secretary"])
    assert client.get(reverse("control:export_download", kwargs={"pk": job.pk})).status_code == 404


def test_a_large_batch_reminder_runs_in_the_background_all_at_once(world, client):
    letters = _letters(world, 3)
    _overdue(world, letters)
    client.force_login(world.users["grid_worker"])
    job = _job_of(
        client.post(reverse("control:letter_batch_remind"), {"pick": [x.pk for x in letters]})
    )
    assert job.kind == batches.REMIND and not job.filename
    assert ReminderLetter.unscoped.filter(reminder_count=1).count() == 0, "not yet"
    run_queued()
    assert ReminderLetter.unscoped.filter(reminder_count=1).count() == 3
    entry = AuditEntry.unscoped.filter(action="letter.remind").get()
    assert entry.user == world.users["grid_worker"] and entry.detail["count"] == 3
    page = client.get(reverse("control:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="job-done"' in page and 'data-testid="export-download"' not in page


def test_a_background_reminder_that_one_letter_refuses_reminds_none(world):
    letters = _letters(world, 3)
    _overdue(world, letters)
    job = batches.queue_reminder(world.users["grid_worker"], letters)
    services.remind(Actor(user=world.users["grid_worker"]), letters[1])  # not late any more
    run_queued()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and letters[1].number in job.message
    counts = ReminderLetter.unscoped.filter(pk__in=[x.pk for x in letters])
    assert sorted(counts.values_list("reminder_count", flat=True)) == [0, 0, 1]


def test_a_large_batch_reminder_with_a_letter_not_late_is_refused_before_it_is_queued(
    world, client
):
    letters = _letters(world, 3)
    _overdue(world, letters[:2])
    client.force_login(world.users["grid_worker"])
    answer = client.post(reverse("control:letter_batch_remind"), {"pick": [x.pk for x in letters]})
    assert answer.status_code == 302 and "/exports/" not in answer["Location"]
    assert not ExportJob.unscoped.filter(kind=batches.REMIND).exists()


@override_settings(HELI_LETTER_INLINE_BATCH=100)
def test_under_the_limit_the_batch_reminder_stays_immediate(world, client):
    letters = _letters(world, 3)
    _overdue(world, letters)
    client.force_login(world.users["grid_worker"])
    client.post(reverse("control:letter_batch_remind"), {"pick": [x.pk for x in letters]})
    assert ReminderLetter.unscoped.filter(reminder_count=1).count() == 3
    assert not ExportJob.unscoped.exists() or not ExportJob.unscoped.filter(kind=batches.REMIND)
