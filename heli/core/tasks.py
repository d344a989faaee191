"""The core's periodic tasks (see heli.core.background for how tasks run)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from heli.core import exportjobs, ratelimit, schedule
from heli.core.models import ScheduledRun

# Finished task results (arguments: ids only) are kept this long for whoever looks into a
# failure, then removed.
KEEP_RESULTS_FOR = dt.timedelta(days=7)


@schedule.every(dt.timedelta(hours=1))
@task()
def prune() -> str:
    """Drop what is no longer needed: rate-limit windows (they last minutes: a day is plenty),
    finished exports past their day, the scheduler's claims and old task results."""
    now = timezone.now()
    counters = ratelimit.forget_older_than(24 * 3600)
    exports = exportjobs.prune(now)
    claims = ScheduledRun.objects.filter(period__lt=now - dt.timedelta(days=2)).delete()[0]
    results = 0
    if isinstance(prune.get_backend(), DatabaseBackend):
        cutoff = now - KEEP_RESULTS_FOR
        # A task left running that long lost its worker (its job, if any, was queued again).
        old = Q(finished_at__lt=cutoff) | Q(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        results = DBTaskResult.objects.filter(old).delete()[0]
    return f"pruned {counters} counter(s), {exports} export(s), {claims + results} record(s)"


@schedule.every(dt.timedelta(minutes=1))
@task()
def requeue_stale_exports() -> str:
    return f"exports queued again: {exportjobs.requeue_stale()}"
