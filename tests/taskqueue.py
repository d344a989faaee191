"""Running the task queue from a test, and a task that only notes its runs (for the races)."""

from __future__ import annotations

import io
import threading
import time

from django.core.management import call_command
from django_tasks import task

RUNS: list[tuple[int, str]] = []
_RUNS_LOCK = threading.Lock()


def run_queued() -> str:
    """`heli worker --once`: what it printed (one line per task, then the count)."""
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


@task()
def note_run(number: int, seconds: float = 0.0) -> int:
    """Notes which thread ran task `number`, taking `seconds` as real work would."""
    time.sleep(seconds)
    with _RUNS_LOCK:
        RUNS.append((number, threading.current_thread().name))
    return number
