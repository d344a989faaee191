"""`heli worker`: runs the background tasks (heli.core.background) with the worker of the
backend HELI_TASKS chooses, and enqueues the periodic ones (heli.core.schedule) while it runs.

- `db`: django-tasks-db's worker. It claims a task in a transaction (PostgreSQL: SELECT … FOR
  UPDATE SKIP LOCKED; SQLite: BEGIN EXCLUSIVE, one writer at a time), so any number of workers
  on any number of machines sharing the database never run one task twice.
- `rq`: an rq worker on the Redis queue (each task popped by one worker), running each task in
  a child process; `--once` runs them in this one.

`--once` ticks the scheduler once, runs what is queued and exits (tests, cron, the demo);
`--workers N` starts N workers as child processes of this one and stops them on SIGTERM/SIGINT.
Without `--once`, a thread ticks the scheduler every `--sleep` seconds; a worker asked to stop
finishes the task at hand first.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection, connections
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks.signals import task_finished

from heli.core import schedule

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run background tasks (imports, exports, periodic work) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--sleep", type=float, default=1.0, help="seconds between looks at an empty queue"
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="start this many workers (child processes)"
        )

    def handle(self, *args, once: bool, sleep: float, workers: int, **options):
        if workers > 1:
            return self._supervise(workers, sleep)
        schedule.discover()
        if once:
            return self._once()
        ticking = threading.Thread(target=_tick_forever, args=(sleep,), daemon=True)
        ticking.start()
        if settings.HELI_TASKS == "rq":
            connections.close_all()  # each task runs in a child process with connections of its own
            _rq_worker(name=_worker_id()).work()
        else:
            worker = _db_worker(sleep, batch=False)
            worker.configure_signals()  # finish the task at hand on SIGTERM/SIGINT
            worker.run()

    def _once(self) -> None:
        ran: list[str] = []

        def finished(sender, task_result, **kwargs) -> None:
            ran.append(task_result.id)

        _fresh_connections()
        schedule.Scheduler().tick()
        task_finished.connect(finished, weak=False)
        try:
            if settings.HELI_TASKS == "rq":
                from rq import SimpleWorker

                _rq_worker(worker_class=SimpleWorker).work(burst=True)
            else:
                _drain(_db_worker(0, batch=True))
        finally:
            task_finished.disconnect(finished)
        # Read back from the backend: rq saves a result after its `finished` signal.
        for result in map(default_task_backend.get_result, ran):
            if result.status == TaskResultStatus.SUCCESSFUL:
                self.stdout.write(str(result.return_value))
            else:
                self.stdout.write(f"{result.task.name}: {result.status}")
        _fresh_connections()
        self.stdout.write(f"ran {len(ran)} task(s)")

    def _supervise(self, count: int, sleep: float) -> None:
        """N workers, each a `heli worker` process; all stop when this one is told to."""
        argv = [sys.executable, "-m", "heli", "worker", "--sleep", str(sleep)]
        children = [subprocess.Popen(argv) for _ in range(count)]

        def stop(signum, frame) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"started {count} workers: {' '.join(str(c.pid) for c in children)}")
        for child in children:
            child.wait()


def _worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}"


def _db_worker(sleep: float, *, batch: bool):
    # The backport's worker class (django_tasks_db), as its `db_worker` command builds it.
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=sleep,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=_worker_id(),
        excluded_queue_names=[],
    )


def _drain(worker) -> None:
    """The db worker's loop in batch mode (claim in a transaction, then run), without its
    closing of old connections, which would end the transaction a test runs in."""
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    while True:
        ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
        with exclusive_transaction(ready.db):
            found = ready.get_locked()
            if found is not None:
                found.claim(worker.worker_id)
        if found is None:
            return
        worker.run_task(found)


def _rq_worker(*, worker_class=None, name: str | None = None):
    import django_rq
    from django_tasks_rq.backend import Job

    return django_rq.get_worker(
        *settings.TASKS["default"]["QUEUES"], job_class=Job, worker_class=worker_class, name=name
    )


def _tick_forever(sleep: float) -> None:
    """The scheduler's thread: one tick every `sleep` seconds (at least every second)."""
    scheduler = schedule.Scheduler()
    while True:
        try:
            close_old_connections()
            scheduler.tick()
        except Exception:  # a tick must not end the thread; the next one tries again
            log.exception("scheduler tick failed")
        time.sleep(min(max(sleep, 0.1), 1.0))


def _fresh_connections() -> None:
    """As around a request: drop connections past their age or broken meanwhile. Not inside a
    transaction (a test's): closing would end it."""
    if not connection.in_atomic_block:
        close_old_connections()
