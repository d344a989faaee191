"""The letters' periodic task: reminders of overdue replies and of members due a letter, as
notices on the desk of the organizations that act on them (`reminders`). The batches of
letters run as background jobs too (`batches`)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from heli.core import schedule
from heli.letters import reminders


# Replies and due letters are counted in days: once a day is enough.
@schedule.every(dt.timedelta(days=1))
@task()
def letter_reminders() -> str:
    counts = reminders.letter_notices()
    return "letter notices: " + ", ".join(f"{k} {v}" for k, v in counts.items())
