"""The same tasks past one machine: an import end to end through the Redis queue
(django-tasks-rq), chosen by the setting as HELI_TASKS=rq does. Skipped only without
HELI_TEST_REDIS_URL; scripts/test.sh sets it, so CI fails rather than skips."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings

from heli.audit.services import Actor
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import jobs
from heli.members.models import Member
from tests.taskqueue import run_queued
from tests.test_member_import import make_xlsx, member_row

REDIS_URL = os.environ.get("HELI_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="HELI_TEST_REDIS_URL is not set")

RQ = {
    "HELI_TASKS": "rq",
    "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
    "RQ_QUEUES": {"default": {"URL": REDIS_URL}},
}


@pytest.fixture
def redis_queue(tmp_path, monkeypatch):
    """The rq backend on an empty Redis database; the tasks' rows stay out of the database."""
    import django_rq

    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))
    with override_settings(**RQ):
        django_rq.get_connection("default").flushdb()
        yield django_rq.get_queue("default")
        django_rq.get_connection("default").flushdb()


@pytest.mark.django_db(transaction=True)
def test_an_import_runs_end_to_end_through_the_redis_queue(world, redis_queue):
    from django_tasks_db.models import DBTaskResult

    user = world.users["town_admin"]
    job = jobs.create_job(user, [make_xlsx([member_row(world)])], "党员.xlsx", "zh-hans")
    in_database = DBTaskResult.objects.filter(task_path="heli.members.imports.jobs.run_import")
    assert redis_queue.count == 1 and not in_database.exists()
    assert f"{job.pk} 党员.xlsx: checked" in run_queued()
    job = ImportJob.unscoped.get(pk=job.pk)
    assert jobs.confirm(job, Actor(user))
    assert f"{job.pk} 党员.xlsx: done" in run_queued()
    assert ImportJob.unscoped.get(pk=job.pk).status == JobStatus.DONE
    assert Member.unscoped.get(name="孙丽").org == world.branch_a
    assert redis_queue.count == 0


@pytest.mark.django_db(transaction=True)
def test_the_days_notices_run_once_through_the_redis_queue(world, redis_queue, settings):
    from heli.mobility.models import Notice
    from tests.test_notices import THRESHOLDS, _away

    for name, days in THRESHOLDS.items():
        setattr(settings, name, days)
    record = _away(world, 91, "队列失联")
    first = run_queued()
    assert "contact_lost 1" in first and "letter notices" in first
    assert "contact notices" not in run_queued(), "once per day, whatever the queue"
    assert Notice.unscoped.filter(record=record).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_letters_is_written_through_the_redis_queue(
    world, redis_queue, settings, tmp_path
):
    from heli.core.models import ExportJob, ExportStatus
    from heli.letters import batches
    from tests.test_letter_batches import _letters

    settings.HELI_EXPORT_DIR = str(tmp_path / "exports")
    run_queued()  # the periodic tasks of the period, out of the way
    job = batches.queue_file(world.users["grid_worker"], _letters(world, 3), as_zip=True)
    assert redis_queue.count == 1
    assert f"{job.pk} {job.filename}: done" in run_queued()
    assert ExportJob.unscoped.get(pk=job.pk).status == ExportStatus.DONE
