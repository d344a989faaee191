"""The transfer of a member's organizational relationship (组织关系转接), step by step.

applied → (each approval level) → approved → in transit (letter issued, validity running) →
accepted (the member's record moves, in the same transaction) | returned | expired.
applied/approved may be withdrawn, and an approver may refuse. Every step is one transaction
that appends a `TransferStep` and writes an audit entry; a refused step raises ValidationError
(state, stale form) or PermissionDenied (the user's side may not take it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.audit.services import Actor, record
from heli.core import serials
from heli.members import services as member_services
from heli.members.choices import ACTIVE_STATUSES, MemberStatus
from heli.members.models import Member
from heli.mobility import floating
from heli.mobility.models import FloatingRecord, FlowRange, RecordStatus
from heli.orgs.models import PartyOrg
from heli.transfers import rules
from heli.transfers.models import (
    OPEN_STATUSES,
    LetterCounter,
    Transfer,
    TransferKind,
    TransferStatus,
    TransferStep,
)

S = TransferStatus
DEFAULT_LETTER_PREFIX = "经开组转字"


def validity_days(flow_range: str) -> int:
    """Within the city the letter is valid for fewer days than farther away."""
    if flow_range == FlowRange.CITY:
        return settings.TRANSFER_VALID_DAYS_CITY
    return settings.TRANSFER_VALID_DAYS_OTHER


def format_serial(year: int, number: int) -> str:
    prefix = getattr(settings, "TRANSFER_LETTER_PREFIX", DEFAULT_LETTER_PREFIX)
    return f"{prefix}〔{year}〕第{number:04d}号"


def allocate_serial(year: int) -> int:
    """The next letter number of `year`. Call inside a transaction: the UPDATE holds the
    counter's row (PostgreSQL) or the database's write lock (SQLite) until it commits."""
    return serials.reserve(LetterCounter, {"year": year})


def _step(
    actor: Actor,
    transfer: Transfer,
    action: str,
    from_status: str,
    *,
    org: PartyOrg | None = None,
    org_name: str = "",
    on_behalf: bool = False,
    note: str = "",
    **detail: Any,
) -> TransferStep:
    return TransferStep.objects.create(
        transfer=transfer,
        action=action,
        from_status=from_status,
        to_status=transfer.status,
        org=org,
        org_name=org_name or (org.name if org else ""),
        on_behalf=on_behalf,
        user=actor.user,
        username=actor.username,
        at=timezone.now(),
        note=note.strip()[:500],
        detail=detail,
    )


def _begin(actor: Actor, transfer: Transfer, action: str, expected_version: int | None):
    """Lock the transfer and check the step: the state allows it, nobody acted since the
    form was shown, and the actor's side may take it."""
    locked = (
        Transfer.unscoped.select_for_update(of=("self",))
        .select_related("from_org", "to_org", "member")
        .get(pk=transfer.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            _("Someone acted on this transfer meanwhile. Look at it again."), code="stale"
        )
    if not rules.state_allows(locked, action):
        raise ValidationError(
            _("A transfer that is “%(status)s” cannot be handled this way.")
            % {"status": locked.get_status_display()},
            code="state",
        )
    if not rules.may(actor.user, locked, action):
        raise PermissionDenied(_("Your organization does not handle this step."))
    return locked


def _finish(actor: Actor, locked: Transfer, action: str, from_status: str, **step: Any):
    locked.version += 1
    if not locked.is_open:
        locked.closed_at = timezone.now()
    locked.save()
    org = step.pop("org", rules.acting_org(locked, action))
    behalf = rules.on_behalf(locked, action)
    _step(actor, locked, action, from_status, org=org, on_behalf=behalf, **step)
    record(actor, f"transfer.{action}", locked, detail={"status": locked.status})
    return locked


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [message]})
    return reason


def _check_member(member: Member) -> None:
    if member.deleted_at is not None or member.status not in ACTIVE_STATUSES:
        raise ValidationError(_("Only an active member's relationship can be transferred."))
    if Transfer.unscoped.filter(member=member, status__in=OPEN_STATUSES).exists():
        raise ValidationError(_("This member already has a transfer under way."))


def _create(transfer: Transfer) -> Transfer:
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as exc:  # the one-open-transfer rule, under concurrency
        raise ValidationError(_("This member already has a transfer under way.")) from exc
    return transfer


@transaction.atomic
def apply(actor: Actor, member: Member, data: dict[str, Any]) -> Transfer:
    """The sending side applies: to an organization of the zone, one of the directory of
    organizations outside it, or one only named (not in the directory)."""
    locked = Member.unscoped.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    if locked.org.is_external:
        raise ValidationError(
            _(
                "This member's relationship is held outside the zone: register an incoming "
                "transfer instead."
            )
        )
    user = actor.user
    if user is not None and not (user.can(Right.EDIT_MEMBERS) and rules.covers(user, locked.org)):
        raise PermissionDenied(_("Only the organization holding the relationship applies."))
    _check_member(locked)
    to_org: PartyOrg | None = data.get("to_org")
    to_name = (data.get("to_org_name") or "").strip()
    if to_org is None and not to_name:
        raise ValidationError(
            {"to_org": [_("Choose the receiving organization, or type its name.")]}
        )
    if to_org is not None and to_org.pk == locked.org_id:
        raise ValidationError({"to_org": [_("The member's relationship is already held there.")]})
    within = to_org is not None and not to_org.is_external
    flow_range = FlowRange.CITY if within else data.get("flow_range")
    if flow_range not in FlowRange.values:
        raise ValidationError({"flow_range": [_("Choose how far the member moves.")]})
    transfer = Transfer(
        member=locked,
        kind=TransferKind.WITHIN if within else TransferKind.OUT,
        from_org=locked.org,
        from_org_name=locked.org.name,
        to_org=to_org,
        to_org_name=to_org.name if to_org else to_name,
        to_place=(to_org.external_place if to_org else "") or (data.get("to_place") or ""),
        flow_range=flow_range,
        reason=_reason(data.get("reason", ""), _("Give the reason for the transfer.")),
        status=S.APPLIED,
        approvals_needed=len(rules.approval_chain(locked.org)),
        applied_by=user,
    )
    _create(transfer)
    _step(actor, transfer, "apply", "", org=locked.org, note=transfer.reason)
    record(actor, "transfer.apply", transfer, detail={"to": transfer.to_org_name})
    return transfer


@transaction.atomic
def register_incoming(actor: Actor, member: Member, data: dict[str, Any]) -> Transfer:
    """A transfer into the zone: the receiving side registers the letter the other side
    issued (its number, date and validity); the transfer is then in transit to be accepted."""
    locked = Member.unscoped.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    to_org: PartyOrg | None = data.get("to_org")
    if to_org is None or to_org.is_external:
        raise ValidationError({"to_org": [_("Choose the receiving organization in the zone.")]})
    user = actor.user
    if user is not None and not (user.can(Right.EDIT_MEMBERS) and rules.covers(user, to_org)):
        raise PermissionDenied(_("Only the receiving side registers an incoming transfer."))
    if not locked.org.is_external:
        raise ValidationError(
            _(
                "This member's relationship is already held in the zone: the sending organization "
                "applies for the transfer."
            )
        )
    _check_member(locked)
    from_org: PartyOrg | None = data.get("from_org") or locked.org
    issued_on, valid_until = data.get("issued_on"), data.get("valid_until")
    flow_range = data.get("flow_range") or FlowRange.OTHER_PROVINCE
    if issued_on is None:
        raise ValidationError({"issued_on": [_("Give the date the letter was issued.")]})
    valid_until = valid_until or issued_on + dt.timedelta(days=validity_days(flow_range))
    if valid_until < issued_on:
        raise ValidationError({"valid_until": [_("A letter cannot expire before it is issued.")]})
    serial = (data.get("external_serial") or "").strip()
    if not serial:
        raise ValidationError({"external_serial": [_("Give the number of the letter.")]})
    transfer = Transfer(
        member=locked,
        kind=TransferKind.IN,
        from_org=from_org,
        from_org_name=from_org.name,
        to_org=to_org,
        to_org_name=to_org.name,
        to_place="",
        flow_range=flow_range,
        reason=_reason(data.get("reason", ""), _("Give the reason for the transfer.")),
        status=S.IN_TRANSIT,
        approvals_needed=0,
        external_serial=serial,
        issued_on=issued_on,
        valid_until=valid_until,
        applied_by=user,
    )
    _create(transfer)
    _step(actor, transfer, "register", "", org=from_org, on_behalf=True, note=serial)
    record(actor, "transfer.register", transfer, detail={"from": transfer.from_org_name})
    return transfer


@transaction.atomic
def approve(
    actor: Actor, transfer: Transfer, expected_version: int | None = None, note: str = ""
) -> Transfer:
    """One approval level agrees; after the last one the letter can be issued."""
    locked = _begin(actor, transfer, "approve", expected_version)
    org = rules.approving_org(locked)
    locked.approvals_done += 1
    if locked.approvals_done >= locked.approvals_needed:
        locked.status = S.APPROVED
    return _finish(
        actor, locked, "approve", S.APPLIED, org=org, note=note, level=locked.approvals_done
    )


@transaction.atomic
def reject(
    actor: Actor, transfer: Transfer, reason: str, expected_version: int | None = None
) -> Transfer:
    """An approval level refuses: the application goes back to the applicant, closed."""
    reason = _reason(reason, _("Give the reason for not approving."))
    locked = _begin(actor, transfer, "reject", expected_version)
    org = rules.approving_org(locked)
    locked.status, locked.closing_reason = S.REJECTED, reason
    return _finish(actor, locked, "reject", S.APPLIED, org=org, note=reason)


@transaction.atomic
def cancel(
    actor: Actor, transfer: Transfer, reason: str, expected_version: int | None = None
) -> Transfer:
    """The sending side withdraws an application before the letter is issued."""
    reason = _reason(reason, _("Give the reason for withdrawing."))
    locked = _begin(actor, transfer, "cancel", expected_version)
    before = locked.status
    locked.status, locked.closing_reason = S.CANCELLED, reason
    return _finish(actor, locked, "cancel", before, note=reason)


@transaction.atomic
def issue_letter(
    actor: Actor, transfer: Transfer, expected_version: int | None = None, on: dt.date | None = None
) -> Transfer:
    """Issue the introduction letter: a number of the year, and the validity starts."""
    locked = _begin(actor, transfer, "issue", expected_version)
    on = on or timezone.localdate()
    number = allocate_serial(on.year)
    chain = rules.approval_chain(locked.from_org)
    locked.serial_year, locked.serial_number = on.year, number
    locked.serial = format_serial(on.year, number)
    locked.issuing_org = chain[min(len(chain), max(locked.approvals_needed, 1)) - 1]
    locked.issued_on = on
    locked.valid_until = on + dt.timedelta(days=validity_days(locked.flow_range))
    locked.status = S.IN_TRANSIT
    return _finish(
        actor,
        locked,
        "issue",
        S.APPROVED,
        note=locked.serial,
        valid_until=locked.valid_until.isoformat(),
    )


def _end_floating(actor: Actor, member: Member, on: dt.date) -> None:
    """A transfer across the zone's boundary ends the member's floating: the relationship is
    now held where they live."""
    for active in FloatingRecord.unscoped.filter(member=member, status=RecordStatus.ACTIVE):
        floating.register_return(actor, active, max(on, active.since))


@transaction.atomic
def accept(
    actor: Actor,
    transfer: Transfer,
    expected_version: int | None = None,
    *,
    receipt_number: str = "",
    received_on: dt.date | None = None,
    note: str = "",
) -> Transfer:
    """The receiving side accepts (回执): the member's record moves to the receiving
    organization in this same transaction, with a history row."""
    locked = _begin(actor, transfer, "accept", expected_version)
    today = timezone.localdate()
    received_on = received_on or today
    if locked.valid_until and received_on > locked.valid_until:
        raise ValidationError(
            _("The letter was valid until %(day)s: it can no longer be accepted.")
            % {"day": locked.valid_until.isoformat()},
            code="expired",
        )
    if locked.issued_on and received_on < locked.issued_on:
        raise ValidationError({"received_on": [_("The letter cannot arrive before it is issued.")]})
    member = Member.unscoped.select_for_update().get(pk=locked.member_id)
    if member.deleted_at is not None or member.status not in ACTIVE_STATUSES:
        raise ValidationError(_("Only an active member's relationship can be transferred."))
    if locked.kind != TransferKind.IN and member.org_id != locked.from_org_id:
        raise ValidationError(_("The member's relationship is no longer held by the sender."))
    reference = locked.serial or locked.external_serial
    if locked.kind == TransferKind.WITHIN:
        member_services.transfer_relationship(actor, member, locked.to_org, reference=reference)
        floating.follow_relationship(actor, member, locked.to_org)
    else:
        _end_floating(actor, member, received_on)
        leaving = locked.kind == TransferKind.OUT
        member_services.transfer_relationship(
            actor,
            member,
            locked.to_org or member.org,  # a receiver only named: the record stays, closed
            status=MemberStatus.TRANSFERRED_OUT if leaving else MemberStatus.NORMAL,
            reference=reference,
        )
    locked.status = S.ACCEPTED
    locked.receipt_number = receipt_number.strip() or reference
    locked.received_on, locked.receipt_note = received_on, note.strip()
    return _finish(
        actor,
        locked,
        "accept",
        S.IN_TRANSIT,
        org_name=locked.to_org_name,
        note=note,
        receipt=locked.receipt_number,
        received_on=received_on.isoformat(),
    )


@transaction.atomic
def return_transfer(
    actor: Actor, transfer: Transfer, reason: str, expected_version: int | None = None
) -> Transfer:
    """The receiving side sends the transfer back (missing materials, say): the member stays."""
    reason = _reason(reason, _("Give the reason for returning the transfer."))
    locked = _begin(actor, transfer, "return", expected_version)
    locked.status, locked.closing_reason = S.RETURNED, reason
    return _finish(actor, locked, "return", S.IN_TRANSIT, org_name=locked.to_org_name, note=reason)


@transaction.atomic
def record_note(
    actor: Actor, transfer: Transfer, note: str, expected_version: int | None = None
) -> Transfer:
    """A step of the organization outside the zone (e.g. “letter received, materials being
    checked”), recorded by the in-zone side on its behalf. The status does not change."""
    note = _reason(note, _("Say what the other side did."))
    locked = _begin(actor, transfer, "note", expected_version)
    other = locked.to_org_name if locked.receiver_is_external else locked.from_org_name
    return _finish(actor, locked, "note", locked.status, org_name=other, note=note)


def expire_overdue(today: dt.date | None = None) -> int:
    """Letters past their validity return automatically (the last valid day still counts).
    Run by `heli worker`; each transfer in its own transaction. Returns how many expired."""
    today = today or timezone.localdate()
    actor = Actor.system("worker")
    due = Transfer.unscoped.filter(status=S.IN_TRANSIT, valid_until__lt=today)
    count = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            locked = Transfer.unscoped.select_for_update().get(pk=pk)
            if locked.status != S.IN_TRANSIT or locked.valid_until >= today:
                continue
            locked.status = S.EXPIRED
            locked.version += 1
            locked.closed_at = timezone.now()
            locked.save()
            _step(actor, locked, "expire", S.IN_TRANSIT, valid_until=locked.valid_until.isoformat())
            record(actor, "transfer.expire", locked, detail={"status": locked.status})
            count += 1
    return count
