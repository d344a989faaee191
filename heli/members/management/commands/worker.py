"""`heli worker`: runs queued background jobs (member imports: check, then save; large
exports).

Start one or more next to the web server; each claims jobs atomically, so several workers
never run the same job. `--once` runs what is queued and exits (tests, cron, the demo). Every
loop, not only the start, queues again the jobs of a worker that died (see imports.jobs), so
they wait a minute, not until a worker restarts.
"""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections, connection

from heli.core import exportjobs, ratelimit
from heli.members.imports import jobs
from heli.transfers import services as transfers

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run queued member imports (checks and saves) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--sleep", type=float, default=1.0, help="seconds between looks at an empty queue"
        )

    def handle(self, *args, once: bool, sleep: float, **options):
        self.stopping = False
        if not once:
            # Finish the job at hand on SIGTERM/SIGINT instead of dying in the middle of it.
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        _fresh_connections()
        requeued = exportjobs.requeue_stale()
        done = 0
        while not self.stopping:
            _fresh_connections()
            requeued += _requeue_imports()
            if requeued:
                self.stdout.write(f"queued again {requeued} job(s) left by a stopped worker")
                requeued = 0
            jobs.expire_unconfirmed()
            transfers.expire_overdue()  # 组织关系转接: letters past their validity
            # Rate-limit windows last minutes; a day's counters are plenty to keep.
            ratelimit.forget_older_than(24 * 3600)
            exportjobs.prune()
            job = jobs.run_next_job() or exportjobs.run_next()
            if job is not None:
                done += 1
                self.stdout.write(f"{job.pk} {job.filename}: {job.status}")
                continue
            if once:
                break
            time.sleep(sleep)
        _fresh_connections()
        if once:
            self.stdout.write(f"ran {done} job(s)")

    def _stop(self, signum, frame) -> None:
        self.stopping = True


def _requeue_imports() -> int:
    """Import jobs of dead workers queued again (or failed). On SQLite another worker's save
    may hold the write lock longer than the busy timeout: then the next loop tries again."""
    try:
        return jobs.requeue_stale()
    except OperationalError:
        log.warning("import jobs of stopped workers: database busy, tried again next loop")
        return 0


def _fresh_connections() -> None:
    """As around a request: drop connections past their age or broken meanwhile (a long-lived
    worker would otherwise keep one forever). Not inside a transaction (a test's): closing
    would end it."""
    if not connection.in_atomic_block:
        close_old_connections()
