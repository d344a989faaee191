"""Background tasks through Django's Tasks API (the django-tasks backport on Django 5.2).

Every piece of background work is a `@task()` function taking ids, never objects: the job rows
(`ImportJob`, `ExportJob`) keep their state and progress, the task only carries the job's id,
so the pages poll the rows as before and a task run twice finds its job already claimed.
Which backend queues them is the setting HELI_TASKS (settings.TASKS): `db` (django-tasks-db,
the database the pages use) or `rq` (django-tasks-rq, Redis, past one machine); `heli worker`
runs the chosen backend's worker. Periodic tasks are registered with `heli.core.schedule`.

Django 6: `from django.tasks import task` replaces `from django_tasks import task` (the only
line that changes in each task module; TASKS and the backends' paths stay as they are, the
database and rq backends remain packages of their own), and `django_tasks` leaves
INSTALLED_APPS.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue(work: Task, *args) -> None:
    """Queue `work`. The database backend writes its row in the caller's transaction, so a job
    row and its task commit (or roll back) together; any other backend is told after the
    commit, so that its worker never looks for a row that is not there yet."""
    if isinstance(work.get_backend(), DatabaseBackend):
        work.enqueue(*args)
    else:
        transaction.on_commit(lambda: work.enqueue(*args))
