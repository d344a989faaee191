"""The daily reminders of the letters' work (督促报到函), as notices to the organization that
writes or wrote the letter (`mobility.notices`):

- a sent letter whose reply date passed: the issuing organization is told that the reply is
  overdue and a reminder (催办) is due; one notice per letter per reply date, so a recorded
  reminder, which sets a new reply date, brings a new notice if that one passes too;
- an outflow member who became due a letter (away LETTER_DUE_AFTER_DAYS without reporting,
  no letter yet): the outflow organization is told; one notice per absence.

The task does not issue or remind by itself: a letter carries a number and the organization's
name and is printed and sent by a person, and a reminder records that someone reminded the
inflow side. It tells the people who do that, on their desk.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from heli.audit.services import Actor, record
from heli.mobility import notices
from heli.mobility.models import FloatingRecord, Notice, NoticeKind

from .models import LetterStatus, ReminderLetter
from .services import due_after_days, due_q

LETTER_RUN = "notice.letter_run"


def overdue_since(since: dt.date, today: dt.date):
    """Sent letters that became overdue after `since` (a reply expected on day d is late from
    d + 1): by the (status, expected_reply_on) index."""
    return ReminderLetter.unscoped.filter(
        status=LetterStatus.SENT, expected_reply_on__lt=today, expected_reply_on__gte=since
    )


def due_since(since: dt.date, today: dt.date):
    """Records that became due a letter after `since`: by the (status, since) index."""
    return FloatingRecord.unscoped.filter(due_q(today)).filter(
        since__gt=since - dt.timedelta(days=due_after_days())
    )


def letter_notices(today: dt.date | None = None) -> dict[str, int]:
    """The daily run: the notices above and an audit entry of the run; returns the counts of
    new notices by kind."""
    today = today or timezone.localdate()
    since = notices.looked_through(LETTER_RUN, today)
    with transaction.atomic():
        overdue = [
            Notice(
                kind=NoticeKind.LETTER_OVERDUE,
                record_id=letter.record_id,
                day=letter.expected_reply_on,
                org=letter.issuing_org,
                letter_id=letter.pk,
                letter_number=letter.number,
            )
            for letter in overdue_since(since, today).select_related("issuing_org").order_by("pk")
        ]
        due = [
            Notice(kind=NoticeKind.LETTER_DUE, record=floating, day=floating.since, org=org)
            for floating in due_since(since, today).select_related("outflow_org").order_by("pk")
            if (org := floating.outflow_org) is not None and not org.is_external
        ]
        counts = {
            NoticeKind.LETTER_OVERDUE.value: notices.add(overdue),
            NoticeKind.LETTER_DUE.value: notices.add(due),
        }
        record(
            Actor.system("worker"),
            "notice.letter_run",  # LETTER_RUN, written out for the audit registry's scan
            detail={"since": since.isoformat(), "through": today.isoformat(), **counts},
        )
    return counts
