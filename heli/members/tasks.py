"""The member imports' periodic tasks (the imports' own task is `imports.jobs.run_import`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import OperationalError
from django_tasks import task

from heli.core import schedule
from heli.members.imports import jobs

log = logging.getLogger(__name__)


# Every 15 seconds, so that a dead worker's job (quiet for jobs.STALE_AFTER, a minute) is
# queued again within a minute and a quarter of its last news.
@schedule.every(dt.timedelta(seconds=15))
@task()
def requeue_stale_imports() -> str:
    """Import jobs of dead workers queued again (or failed). On SQLite another worker's save
    may hold the write lock longer than the busy timeout: the next period tries again."""
    try:
        return f"imports queued again: {jobs.requeue_stale()}"
    except OperationalError:
        log.warning("import jobs of stopped workers: database busy, tried again next period")
        return "database busy"


@schedule.every(dt.timedelta(hours=1))
@task()
def expire_unconfirmed_imports() -> str:
    return f"unconfirmed imports expired: {jobs.expire_unconfirmed()}"
