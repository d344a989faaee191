"""Taking the next queued job so that several workers never run the same one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Model, QuerySet

Job = TypeVar("Job", bound=Model)


def claim_first(queued: QuerySet, claim: Callable[[Job], bool]) -> Job | None:
    """The first job of `queued` (oldest first) that `claim` — a conditional UPDATE from the
    queued state — wins; None when there is nothing to do. PostgreSQL first skips rows another
    worker has locked; SQLite (one writer at a time) tries a few in turn."""
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            job = queued.select_for_update(skip_locked=True).first()
            return job if job is not None and claim(job) else None
    for job in queued[:20]:  # another worker may win a job between the read and the update
        if claim(job):
            return job
    return None
