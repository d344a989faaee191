"""What other areas hear from floating-member work, so they react without mobility knowing them
(reminder letters close on these, for one)."""

from django.dispatch import Signal

# A member checked in at a station (a new check-in, not a repeat scan), or staff confirmed a
# self-reported one. Sent with: actor, member, check_in, records (the (id, direction) of the
# member's active floating records), verified (False for a self-report: it settles nothing).
member_checked_in = Signal()


def send_checked_in(actor, check_in, records: list[tuple[int, str]], *, verified: bool) -> None:
    """`member_checked_in` for a new check-in, or a self-report staff confirmed."""
    member_checked_in.send(
        sender=type(check_in), actor=actor, member=check_in.member, check_in=check_in,
        records=records, verified=verified,
    )  # fmt: skip


# The inflow side confirmed it has the member of a floating record. Sent with: actor, record.
inflow_confirmed = Signal()

# A floating record ended by a return registration. Sent with: actor, record.
floating_returned = Signal()
