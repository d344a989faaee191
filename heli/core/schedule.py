"""Periodic tasks: the Tasks API has no scheduler, so this is a small one.

An app registers a task with `@every(period)` in its `tasks` module (found by `discover`).
`Scheduler.tick` enqueues each registered task once per period, the period counted from the
Unix epoch so that every machine agrees on it: it first inserts the row (task, period start)
of `ScheduledRun`, whose unique constraint makes the insert of any other scheduler fail, and
enqueues in the same transaction. So `heli worker` ticks while it runs and any number of
workers (or `heli scheduler` processes) on any number of machines enqueue each periodic task
once per period.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from heli.core.models import ScheduledRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    task: Task
    period: dt.timedelta


PERIODIC: dict[str, Periodic] = {}


def every(period: dt.timedelta) -> Callable[[Task], Task]:
    """Register the task (applied above `@task()`) to run once per `period`."""

    def register(work: Task) -> Task:
        PERIODIC[work.module_path] = Periodic(work, period)
        return work

    return register


def discover() -> dict[str, Periodic]:
    """Import every installed app's `tasks` module, where periodic tasks register."""
    autodiscover_modules("tasks")
    return PERIODIC


def period_start(now: dt.datetime, period: dt.timedelta) -> dt.datetime:
    seconds = int(period.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def enqueue_once(periodic: Periodic, start: dt.datetime) -> bool:
    """Claim the period and enqueue the task; False when another scheduler claimed it."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(task=periodic.task.module_path, period=start)
            periodic.task.enqueue()
    except IntegrityError:
        return False
    return True


class Scheduler:
    """One scheduler's ticks. It remembers the periods it has seen, so that it tries each
    insert once per period rather than on every tick."""

    def __init__(self) -> None:
        self.seen: dict[str, dt.datetime] = {}

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """The tasks this tick enqueued."""
        now = now or timezone.now()
        enqueued = []
        for name, periodic in sorted(PERIODIC.items()):
            start = period_start(now, periodic.period)
            if self.seen.get(name) == start:
                continue
            try:
                if enqueue_once(periodic, start):
                    enqueued.append(name)
            except OperationalError:
                # SQLite: another writer (an import's save) held the lock past the timeout.
                log.warning("scheduler: database busy, %s tried again next tick", name)
                continue
            self.seen[name] = start
        return enqueued
