"""The lost-contact clock (失联预警) of floating records.

Days are counted from the last contact (a check-in, a service visit, a points activity, a
liaison call), or from the day the member left or arrived when there has been none. Thresholds
come from settings: a warning, lost contact (失联), and a flag raised ahead of the six months
after which the Party Constitution treats a member who has not taken part in party life as
having left (a 6-month lapse must never pass unnoticed).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.mobility.models import FloatingRecord, RecordStatus


class ContactState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    LOST = "lost"
    LAPSE = "lapse"  # lost, and close to the six-month point

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    ContactState.OK: _("In contact"),
    ContactState.WARNING: _("Contact warning"),
    ContactState.LOST: _("Lost contact"),
    ContactState.LAPSE: _("Near six months without contact"),
}

# Each state from its threshold setting, most serious first.
_ORDER = (
    (ContactState.LAPSE, "FLOATING_LAPSE_FLAG_DAYS"),
    (ContactState.LOST, "FLOATING_LOST_DAYS"),
    (ContactState.WARNING, "FLOATING_WARNING_DAYS"),
)


def threshold(state: ContactState) -> int:
    return dict((s, getattr(settings, name)) for s, name in _ORDER)[state]


def last_contact_day(record: FloatingRecord) -> dt.date:
    if record.last_contact_at is not None:
        return timezone.localdate(record.last_contact_at)
    return record.since


def days_without_contact(record: FloatingRecord, today: dt.date | None = None) -> int:
    return ((today or timezone.localdate()) - last_contact_day(record)).days


def state_of(record: FloatingRecord, today: dt.date | None = None) -> ContactState:
    if record.status != RecordStatus.ACTIVE:
        return ContactState.OK
    days = days_without_contact(record, today)
    for state, name in _ORDER:
        if days >= getattr(settings, name):
            return state
    return ContactState.OK


def silent_for_q(days: int, today: dt.date | None = None) -> Q:
    """Active records without contact for at least `days` days (the same count as state_of)."""
    today = today or timezone.localdate()
    last_day = today - dt.timedelta(days=days)
    # A contact on `last_day` or earlier: before the start of the following local day.
    start_of_next = timezone.make_aware(
        dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min)
    )
    return Q(status=RecordStatus.ACTIVE) & (
        Q(last_contact_at__lt=start_of_next) | Q(last_contact_at__isnull=True, since__lte=last_day)
    )


def last_contact_between_q(after: dt.date, through: dt.date) -> Q:
    """Active records whose last contact day (as `last_contact_day` counts it) lies after
    `after` and on or before `through`: two bounded ranges, one per index."""
    start, end = (
        timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
        for day in (after, through)
    )
    return Q(status=RecordStatus.ACTIVE) & (
        Q(last_contact_at__gte=start, last_contact_at__lt=end)
        | Q(last_contact_at__isnull=True, since__gt=after, since__lte=through)
    )


def state_q(state: ContactState, today: dt.date | None = None) -> Q:
    """Active records exactly in `state` (LOST excludes LAPSE; WARNING excludes both)."""
    if state == ContactState.OK:
        return Q(status=RecordStatus.ACTIVE) & ~silent_for_q(threshold(ContactState.WARNING), today)
    q = silent_for_q(threshold(state), today)
    more_serious = {ContactState.WARNING: ContactState.LOST, ContactState.LOST: ContactState.LAPSE}
    if state in more_serious:
        q &= ~silent_for_q(threshold(more_serious[state]), today)
    return q


def lost_q(today: dt.date | None = None) -> Q:
    """Lost contact, the lapse-flagged included."""
    return silent_for_q(threshold(ContactState.LOST), today)


NEWLY_LOST_DAYS = 7


def newly_lost_q(today: dt.date | None = None, within: int = NEWLY_LOST_DAYS) -> Q:
    """Records that crossed the lost-contact threshold in the last `within` days (新失联)."""
    lost = threshold(ContactState.LOST)
    return silent_for_q(lost, today) & ~silent_for_q(lost + within, today)
