"""The transfers' periodic task: introduction letters past their validity expire."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from heli.core import schedule
from heli.transfers import services


# Validity is counted in days: an hourly look expires a letter within the hour after its day.
@schedule.every(dt.timedelta(hours=1))
@task()
def expire_overdue_transfers() -> str:
    return f"transfers expired: {services.expire_overdue()}"
