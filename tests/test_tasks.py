"""Background work through the Tasks API (heli.core.background): the database backend's
workers never run one task twice, the scheduler enqueues each periodic task once per period
however many schedulers run, and export jobs whose worker died get a new task."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from heli.core import exportjobs, schedule
from heli.core.management.commands.worker import _db_worker
from heli.core.models import ExportJob, ExportStatus, ScheduledRun
from tests import taskqueue
from tests.taskqueue import note_run, run_queued

PERIODIC = {
    "heli.core.tasks.prune",
    "heli.core.tasks.requeue_stale_exports",
    "heli.members.tasks.requeue_stale_imports",
    "heli.members.tasks.expire_unconfirmed_imports",
    "heli.transfers.tasks.expire_overdue_transfers",
    "heli.mobility.tasks.contact_notices",
    "heli.letters.tasks.letter_reminders",
}


def race(count: int, work) -> list:
    """Run `work(index)` in `count` threads started together; their results."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,), name=f"worker-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_tasks_never_run_one_twice():
    """PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED; SQLite: each claim in BEGIN EXCLUSIVE."""
    taskqueue.RUNS.clear()
    for number in range(20):
        note_run.enqueue(number, 0.02)
    race(2, lambda n: _db_worker(0, batch=True).run())
    numbers = [number for number, _thread in taskqueue.RUNS]
    assert sorted(numbers) == list(range(20)), "every task ran, and only once"
    assert {thread for _number, thread in taskqueue.RUNS} == {"worker-0", "worker-1"}
    results = DBTaskResult.objects.all()
    assert {r.status for r in results} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(r.worker_ids) == 1 for r in results)


@pytest.mark.django_db
def test_the_periodic_work_is_registered_with_the_scheduler():
    assert set(schedule.discover()) >= PERIODIC


@pytest.mark.django_db
def test_a_second_scheduler_enqueues_nothing_in_the_same_period_and_all_again_in_the_next():
    schedule.discover()
    # Noon of the day's period (the daily tasks' period starts at midnight UTC)
    now = schedule.period_start(timezone.now(), dt.timedelta(days=1)) + dt.timedelta(hours=12)
    assert set(schedule.Scheduler().tick(now)) == set(schedule.PERIODIC)
    assert schedule.Scheduler().tick(now) == []
    queued = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert sorted(queued) == sorted(schedule.PERIODIC), "each once"
    later = now + dt.timedelta(days=1)  # the longest period (a day): every one has begun again
    assert set(schedule.Scheduler().tick(later)) == set(schedule.PERIODIC)
    hourly = {name for name, p in schedule.PERIODIC.items() if p.period <= dt.timedelta(hours=1)}
    assert set(schedule.Scheduler().tick(later + dt.timedelta(hours=1))) == hourly


@pytest.mark.django_db
def test_a_scheduler_tries_each_period_once_and_the_next_when_it_comes():
    schedule.discover()
    scheduler = schedule.Scheduler()
    start = schedule.period_start(timezone.now(), dt.timedelta(hours=1))
    scheduler.tick(start)
    assert scheduler.tick(start + dt.timedelta(seconds=5)) == []
    again = scheduler.tick(start + dt.timedelta(seconds=15))
    assert "heli.members.tasks.requeue_stale_imports" in again
    assert "heli.core.tasks.prune" not in again


@pytest.mark.django_db(transaction=True)
def test_schedulers_racing_on_one_database_enqueue_each_task_once_per_period():
    schedule.discover()
    now = timezone.now()
    enqueued = race(3, lambda n: schedule.Scheduler().tick(now))
    everyone = [name for names in enqueued for name in names]
    assert sorted(everyone) == sorted(schedule.PERIODIC)
    assert ScheduledRun.objects.count() == len(schedule.PERIODIC)
    assert DBTaskResult.objects.count() == len(schedule.PERIODIC)


@pytest.mark.django_db
def test_the_worker_runs_the_periodic_work_once_per_period():
    first = run_queued()
    assert "transfers expired: 0" in first and "pruned" in first
    assert "transfers expired" not in run_queued()


@pytest.mark.django_db
def test_an_export_job_runs_as_its_task_and_a_second_run_leaves_it_alone(world):
    user = world.users["branch_secretary"]
    exports = DBTaskResult.objects.filter(task_path="heli.core.exportjobs.run_export")
    before = exports.count()
    job = exportjobs.queue(
        user, kind="nothing", params={}, unmasked=False, title="t", filename="t.xlsx", total=1
    )
    assert exports.count() == before + 1
    assert f"{job.pk} t.xlsx: failed" in run_queued(), "no builder for this kind: it says so"
    assert exportjobs.run_export.call(str(job.pk)).endswith("not queued")


@pytest.mark.django_db
def test_an_export_whose_worker_died_is_queued_again_with_a_new_task(world):
    user = world.users["branch_secretary"]
    job = exportjobs.queue(
        user, kind="nothing", params={}, unmasked=False, title="t", filename="t.xlsx", total=1
    )
    DBTaskResult.objects.all().delete()  # its task went with the worker that died
    ExportJob.unscoped.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    later = timezone.now() + exportjobs.STALE_AFTER + dt.timedelta(seconds=1)
    assert exportjobs.requeue_stale(now=later) == 1
    assert ExportJob.unscoped.get(pk=job.pk).status == ExportStatus.QUEUED
    assert f"{job.pk} t.xlsx: failed" in run_queued()


@pytest.mark.django_db
def test_the_worker_says_which_task_failed(world):
    taskqueue.RUNS.clear()
    note_run.enqueue("not a number", "not seconds")
    assert "note_run: FAILED" in run_queued()


@pytest.mark.django_db
def test_pruning_drops_old_results_and_claims_and_keeps_recent_ones():
    from heli.core import tasks

    taskqueue.RUNS.clear()
    note_run.enqueue(1)
    note_run.enqueue(2)
    run_queued()
    long_ago = timezone.now() - tasks.KEEP_RESULTS_FOR - dt.timedelta(days=1)
    old, dead = DBTaskResult.objects.filter(task_path="tests.taskqueue.note_run")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=long_ago)
    DBTaskResult.objects.filter(pk=dead.pk).update(
        status=TaskResultStatus.RUNNING, started_at=long_ago, finished_at=None
    )
    ScheduledRun.objects.create(task="x", period=long_ago)
    tasks.prune.call()
    assert not DBTaskResult.objects.filter(pk__in=[old.pk, dead.pk]).exists()
    assert not ScheduledRun.objects.filter(task="x").exists()
    assert DBTaskResult.objects.exists() and ScheduledRun.objects.exists(), "recent ones stay"


@pytest.mark.django_db(transaction=True)
def test_worker_with_workers_two_starts_two_that_share_the_queue_and_stop_together():
    from tests.test_worker_resilience import start_worker, stop

    for number in range(12):
        note_run.enqueue(number, 0.3)
    supervisor = start_worker("--workers", "2")
    try:
        deadline = time.monotonic() + 60
        while (
            DBTaskResult.objects.filter(task_path="tests.taskqueue.note_run")
            .exclude(status=TaskResultStatus.SUCCESSFUL)
            .exists()
        ):
            assert time.monotonic() < deadline, "the two workers did not finish the queue"
            time.sleep(0.2)
    finally:
        stop(supervisor)
    assert supervisor.returncode == 0
    ran = DBTaskResult.objects.filter(task_path="tests.taskqueue.note_run")
    workers = {tuple(r.worker_ids) for r in ran}
    assert all(len(ids) == 1 for ids in workers) and len(workers) == 2, "each once, by two"
