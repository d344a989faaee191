"""Status badges and progress bars of the staff pages, built in Python: a list draws one per
row, and rendering a template for each (a loader lookup and a context per row) was a third of a
50-row page's time. Detail pages show the same markup through `{% load badges %}`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from heli.letters.models import LetterStatus, ReminderLetter

LETTER_CSS = {
    LetterStatus.SENT: "text-bg-primary",
    LetterStatus.CLOSED: "text-bg-success",
    LetterStatus.CANCELLED: "text-bg-secondary",
}
TRANSFER_CSS = {
    "accepted": "text-bg-success",
    "in_transit": "text-bg-primary",
    "applied": "text-bg-warning",
    "approved": "text-bg-warning",
    "cancelled": "text-bg-secondary",
}


def letter_status(letter: ReminderLetter, today: dt.date | None = None) -> SafeString:
    """The letter's state; a sent letter past its expected reply says so."""
    if letter.is_overdue(today or timezone.localdate()):
        label, css = _("Reply overdue"), "text-bg-warning"
    else:
        label, css = (
            letter.get_status_display(),
            LETTER_CSS.get(letter.status, "text-bg-light border"),
        )
    return format_html('<span class="badge {}" data-testid="letter-status">{}</span>', css, label)


def transfer_status(status: str, label: str) -> SafeString:
    css = TRANSFER_CSS.get(status, "text-bg-danger")
    return format_html(
        '<span class="badge {}" data-testid="transfer-status" data-status="{}">{}</span>',
        css,
        status,
        label,
    )


def progress(percent: int, done: int, total: int) -> SafeString:
    """A progress bar with "done / total" beside it (a campaign's tasks)."""
    return format_html(
        '<div class="d-flex align-items-center gap-2 min-w-10rem" data-testid="campaign-progress">'
        '<div class="progress flex-grow-1" role="progressbar" aria-label="{}" aria-valuenow="{}" '
        'aria-valuemin="0" aria-valuemax="100"><div class="progress-bar bg-danger" '
        'data-width="{}"></div></div><span class="small text-nowrap">{} / {}</span></div>',
        _("Progress"),
        percent,
        percent,
        done,
        total,
    )
