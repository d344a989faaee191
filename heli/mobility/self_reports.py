"""Self-reported check-ins (自报) decided by staff.

A QR check-in is anyone's claim to be the member (a name and a number are enough), so it comes
in self-reported: on the timeline, counted as a check-in, and waiting for the member's home
branch (`CheckIn.home_q`). Staff who know it was the member confirm it: it becomes a verified
contact, which moves the last contact to the check-in's own time and settles open letters (the
`member_checked_in` signal with `verified=True`). Staff who find it was not the member reject it
with a reason: nothing else changes, and the decision is audited.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import freetext
from heli.mobility import floating, signals
from heli.mobility.models import CheckIn, CheckInStatus


def _lock(check_ins: Iterable[CheckIn]) -> list[CheckIn]:
    pks = sorted({c.pk for c in check_ins})
    return list(
        CheckIn.unscoped.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("member", "station")
        .order_by("pk")
    )


def _undecided(check_ins: Iterable[CheckIn]) -> list[CheckIn]:
    """The ticked check-ins, locked, each still self-reported (else nothing is decided)."""
    locked = _lock(check_ins)
    if not locked:
        raise ValidationError(_("Tick at least one check-in."))
    decided = [c.member.name for c in locked if c.status != CheckInStatus.SELF_REPORTED]
    if decided:
        raise ValidationError(
            _("Already decided: %(names)s. Untick them and try again.")
            % {"names": "、".join(decided)}
        )
    return locked


def _named(check_ins: list[CheckIn]) -> list[dict]:
    return [
        {"id": c.pk, "member": c.member_id, "name": c.member.name, "station": c.station.name,
         "day": c.day.isoformat()}
        for c in check_ins
    ]  # fmt: skip


def verify(actor: Actor, check_ins: Iterable[CheckIn], **detail: object) -> list[CheckIn]:
    """Staff vouch that these check-ins were the members': each becomes a verified contact
    (the last contact moves to its own time if that is later; open letters settle). One audit
    entry names them all. Runs in the caller's transaction; callers decide which rows may be
    verified (`confirm` takes self-reported ones only)."""
    require(actor.user, Right.EDIT_MEMBERS)
    locked = _lock(check_ins)
    if not locked:
        return []
    now = timezone.now()
    for check_in in locked:
        check_in.status, check_in.decided_by, check_in.decided_at = (
            CheckInStatus.VERIFIED, actor.user, now,
        )  # fmt: skip
        check_in.reject_reason = ""
        check_in.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
        records = floating.touch_on_verified(check_in.member, check_in.at)
        signals.send_checked_in(actor, check_in, records, verified=True)
    single = locked[0] if len(locked) == 1 else None
    record(
        actor,
        "checkin.verify",
        single,
        detail={"count": len(locked), "check_ins": _named(locked), **detail},
    )
    return locked


@transaction.atomic
def confirm(actor: Actor, check_ins: Iterable[CheckIn]) -> list[CheckIn]:
    """The home branch confirms self-reported check-ins (one or a batch): all or none."""
    require(actor.user, Right.EDIT_MEMBERS)
    return verify(actor, _undecided(check_ins))


@transaction.atomic
def reject(actor: Actor, check_ins: Iterable[CheckIn], reason: str) -> int:
    """Not this person: the check-ins stay on the record as rejected, with the reason; the
    clock and the letters are untouched (they never moved). All or none, one audit entry."""
    require(actor.user, Right.EDIT_MEMBERS)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for rejecting these check-ins.")]})
    freetext.refuse_numbers(reason)  # free text holds no ID number or phone
    locked = _undecided(check_ins)
    now = timezone.now()
    for check_in in locked:
        check_in.status, check_in.decided_by, check_in.decided_at = (
            CheckInStatus.REJECTED, actor.user, now,
        )  # fmt: skip
        check_in.reject_reason = reason.strip()
        check_in.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
    floating.recount_reports({c.member_id for c in locked})
    single = locked[0] if len(locked) == 1 else None
    detail = {"count": len(locked), "reason": reason.strip(), "check_ins": _named(locked)}
    record(actor, "checkin.deny", single, detail=detail)
    return len(locked)
