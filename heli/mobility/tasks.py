"""The floating-member work's periodic task: lost-contact notices (see `notices`)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from heli.core import schedule
from heli.mobility import notices


# The clock counts days: once a day, whatever the number of workers (ScheduledRun).
@schedule.every(dt.timedelta(days=1))
@task()
def contact_notices() -> str:
    counts = notices.contact_notices()
    return "contact notices: " + ", ".join(f"{k} {v}" for k, v in counts.items())
