"""Letters close by themselves when floating-member work tells that the matter is settled:
the member checked in at a station (a verified check-in: recorded or confirmed by staff), the
inflow side confirmed them, or their return was registered. Connected in
`LettersConfig.ready`; each receiver runs inside the sender's transaction."""

from __future__ import annotations

from typing import Any

from heli.audit.services import Actor
from heli.members.choices import FloatingDirection

from .models import CloseReason
from .services import close_open_letters


def on_member_checked_in(
    sender: Any, *, actor: Actor, member, check_in, records=None, verified=False, **kwargs: Any
) -> None:
    # Only a verified check-in settles a letter: a self-reported one (a QR code, anyone who
    # knows the member's name and number) waits for the home branch to confirm it.
    if not verified:
        return
    # Open letters belong to active outflow records (a return settles them): a member with
    # none, as most who check in, has no letter to settle and costs no query. Without the
    # records (an older sender), look.
    if records is not None and not any(d == FloatingDirection.OUT for _pk, d in records):
        return
    note = f"{check_in.station.name} {check_in.day.isoformat()}"
    close_open_letters(actor, CloseReason.CHECKED_IN, member=member, note=note)


def on_inflow_confirmed(sender: Any, *, actor: Actor, record, **kwargs: Any) -> None:
    note = record.inflow_org.name if record.inflow_org_id else ""
    close_open_letters(actor, CloseReason.INFLOW_CONFIRMED, floating=record, note=note)


def on_floating_returned(sender: Any, *, actor: Actor, record, **kwargs: Any) -> None:
    close_open_letters(actor, CloseReason.RETURNED, floating=record)
