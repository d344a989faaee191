"""A sheet cannot kill the worker, and a dead worker's job does not wait 15 minutes: files fed to
a running `heli worker` process, a worker killed in the middle of a check, and a job whose
phase died twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs
from tests.test_import_sheets import far_blank_rows, far_corner
from tests.test_member_import import make_xlsx, member_row

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def database_url() -> str:
    """The test database, for a worker process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(*args: str, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "HELI_DATABASE_URL": database_url(),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "heli.settings",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "heli", "worker", "--sleep", "0.2", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(job: ImportJob, states: set[str], seconds: float) -> float:
    """Seconds until the job is in one of the states (fails after `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        job.refresh_from_db()
        if job.status in states:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{job.filename} still {job.status} after {seconds} s: {job.message}")


@pytest.fixture
def worker() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        stop(process)


ENDED = {JobStatus.CHECKED, JobStatus.INVALID, JobStatus.FAILED, JobStatus.DONE}


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_survives_the_far_corner_and_a_million_blank_rows_and_goes_on(
    world, worker
):
    user = world.users["town_admin"]
    corner = jobs.create_job(user, [far_corner(world)], "角落.xlsx", "zh-hans")
    blank = jobs.create_job(user, [far_blank_rows(world, 1_000_000)], "空行.xlsx", "zh-hans")
    normal = jobs.create_job(user, [make_xlsx([member_row(world)])], "正常.xlsx", "zh-hans")
    worker.append(start_worker())
    assert wait_for(corner, ENDED, 60) < 60
    assert corner.status == JobStatus.FAILED and "使用范围到 AMJ1048576" in corner.message
    assert wait_for(blank, ENDED, 60) < 60
    assert (blank.status, blank.total_rows) == (JobStatus.CHECKED, 5)
    wait_for(normal, ENDED, 60)
    assert normal.status == JobStatus.CHECKED and normal.total_rows == 1
    assert worker[0].poll() is None, "the worker is still running"


@pytest.mark.django_db(transaction=True)
def test_a_check_whose_worker_was_killed_is_run_again_by_another_worker_within_a_minute(
    world, worker
):
    user = world.users["town_admin"]
    job = jobs.create_job(user, [far_blank_rows(world, 1_000_000)], "空行.xlsx", "zh-hans")
    first = start_worker()
    worker.append(first)
    wait_for(job, {JobStatus.CHECKING}, 60)
    first.kill()  # as the OOM killer would: no chance to finish or clean up
    first.wait()
    assert ImportJob.unscoped.get(pk=job.pk).status == JobStatus.CHECKING
    # STALE_AFTER is a minute; the second worker is told a few seconds to keep the test short.
    worker.append(start_worker(HELI_IMPORT_STALE_SECONDS="3"))
    assert wait_for(job, ENDED, 60) < 60
    assert (job.status, job.total_rows, job.attempts) == (JobStatus.CHECKED, 5, 2)


@pytest.mark.django_db
def test_a_dead_workers_job_is_noticed_within_a_minute():
    assert jobs.stale_after() <= dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_job_whose_worker_died_twice_fails_saying_so_instead_of_running_again(world):
    job = jobs.create_job(world.users["town_admin"], [make_xlsx([])], "党员.xlsx", "zh-hans")
    later = timezone.now() + jobs.stale_after() + dt.timedelta(seconds=1)
    assert jobs.claim(job) and job.attempts == 1
    assert jobs.requeue_stale(now=later) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED_CHECK and "重新排队" in job.message
    assert jobs.claim(job) and job.attempts == 2
    assert jobs.requeue_stale(now=later) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "后台任务已中断 2 次，不再重试" in job.message
    assert not files.upload_path(job.pk).exists()


@pytest.mark.django_db
def test_a_quiet_job_whose_worker_is_alive_is_left_alone(world):
    """A long save on SQLite holds the write lock and cannot write a heartbeat; the lock file
    the live worker holds tells that it is still at work."""
    job = jobs.create_job(world.users["town_admin"], [make_xlsx([])], "党员.xlsx", "zh-hans")
    jobs.claim(job)
    later = timezone.now() + jobs.stale_after() + dt.timedelta(seconds=1)
    with files.holding(job.pk):
        assert files.held(job.pk)
        assert jobs.requeue_stale(now=later) == 0
    assert not files.held(job.pk) and not files.lock_path(job.pk).exists()
    assert jobs.requeue_stale(now=later) == 1


@pytest.mark.django_db
def test_confirming_a_checked_job_starts_the_count_of_attempts_anew(world):
    from heli.audit.services import Actor

    user = world.users["town_admin"]
    job = jobs.run_job(jobs.create_job(user, [make_xlsx([member_row(world)])], "a.xlsx", "en"))
    assert job.status == JobStatus.CHECKED and job.attempts == 1
    assert jobs.confirm(job, Actor(user))
    assert ImportJob.unscoped.get(pk=job.pk).attempts == 0
    jobs.run_job(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1
