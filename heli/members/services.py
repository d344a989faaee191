"""Changing member records. Each function is one transaction that also writes the member's
history (MemberChange) and the audit log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.audit.services import Actor, changed_fields, record
from heli.members import idcard, sensitive
from heli.members.choices import FloatingDirection, MemberStatus
from heli.members.models import Member, MemberChange

SENSITIVE_INPUTS = ("id_number", "phone")


class EditConflict(Exception):
    """Someone else saved the member since this edit began (optimistic locking)."""


def check_consistency(member: Member, id_number: str | None) -> None:
    """Rules that span fields: ID birth date, probation dates, floating details."""
    errors: dict[str, list[str]] = {}
    if id_number:
        born = idcard.birth_date(idcard.normalize(id_number))
        if born and member.birth_date and born != member.birth_date:
            errors.setdefault("birth_date", []).append(
                _("The birth date does not match the ID number (%(date)s).")
                % {"date": born.isoformat()}
            )
    if member.joined_on and member.birth_date and member.joined_on <= member.birth_date:
        errors.setdefault("joined_on", []).append(_("The joining date must be after birth."))
    if member.full_on and member.joined_on and member.full_on < member.joined_on:
        errors.setdefault("full_on", []).append(_("A member becomes full only after joining."))
    if member.status == MemberStatus.FLOATING:
        if member.floating_direction not in FloatingDirection.values:
            errors.setdefault("floating_direction", []).append(
                _("A floating member needs a direction (outflow or inflow).")
            )
        if not member.floating_place:
            errors.setdefault("floating_place", []).append(
                _("A floating member needs the place they went to or came from.")
            )
    elif member.floating_direction:
        errors.setdefault("status", []).append(
            _("Only a floating member has a floating direction.")
        )
    if member.reported_on and not member.reported_to_id:
        errors.setdefault("reported_to", []).append(_("Name the community the member reported to."))
    if errors:
        raise ValidationError(errors)


def _apply_sensitive(member: Member, data: dict[str, Any]) -> None:
    try:
        if data.get("id_number"):
            sensitive.set_id_number(member, data["id_number"])
        if "phone" in data:
            sensitive.set_phone(member, data.get("phone") or "")
    except ValidationError as exc:
        field = "id_number" if exc.code and exc.code.startswith("id_") else "phone"
        raise ValidationError({field: exc.messages}) from exc


def _save(member: Member) -> None:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"id_number": [_("A member with this ID number is already registered in the zone.")]}
        ) from exc


def _history(actor: Actor, member: Member, action: str, fields: dict) -> None:
    MemberChange.objects.create(
        member=member, user=actor.user, username=actor.username, action=action, fields=fields
    )
    record(actor, f"member.{action}", member, detail=fields)


def _plain_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SENSITIVE_INPUTS}


@transaction.atomic
def create_member(actor: Actor, data: dict[str, Any]) -> Member:
    member = Member(**_plain_fields(data))
    _apply_sensitive(member, data)
    if not member.gender and data.get("id_number"):
        member.gender = idcard.gender(idcard.normalize(data["id_number"]))
    check_consistency(member, data.get("id_number"))
    member.full_clean(exclude=["id_cipher", "id_digest", "phone_cipher"], validate_unique=False)
    _save(member)
    _history(actor, member, "create", {"name": member.name, "org": str(member.org)})
    return member


@transaction.atomic
def update_member(
    actor: Actor, member: Member, data: dict[str, Any], expected_version: int
) -> Member:
    """Save `data` unless someone else saved since `expected_version` (then EditConflict)."""
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    if current.version != expected_version or current.deleted_at is not None:
        raise EditConflict
    plain = _plain_fields(data)
    before = {name: getattr(current, name) for name in plain}
    old_masks = (current.id_mask, current.phone_mask)
    for name, value in plain.items():
        setattr(current, name, value)
    _apply_sensitive(current, data)
    check_consistency(current, data.get("id_number"))
    current.full_clean(exclude=["id_cipher", "id_digest", "phone_cipher"], validate_unique=False)
    diff = changed_fields(before, plain)
    if (current.id_mask, current.phone_mask) != old_masks or data.get("id_number"):
        # Sensitive values appear in history only masked.
        for label, old, new in (
            ("id_number", old_masks[0], current.id_mask),
            ("phone", old_masks[1], current.phone_mask),
        ):
            if old != new:
                diff[label] = [old, new]
    current.version += 1
    _save(current)
    if diff:
        _history(actor, current, "update", diff)
    return current


@transaction.atomic
def delete_member(actor: Actor, member: Member, reason: str) -> Member:
    """Soft delete with a reason; a district admin can restore it."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for deleting this member.")]})
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    current.deleted_at = timezone.now()
    current.deleted_reason = reason.strip()
    current.deleted_by = actor.user
    current.version += 1
    current.save()
    _history(actor, current, "delete", {"reason": current.deleted_reason})
    return current


@transaction.atomic
def restore_member(actor: Actor, member: Member) -> Member:
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    reason = current.deleted_reason
    current.deleted_at, current.deleted_reason, current.deleted_by = None, "", None
    current.version += 1
    current.save()
    _history(actor, current, "restore", {"deleted_reason": reason})
    return current


@transaction.atomic
def set_floating(actor: Actor, member: Member, *, direction: str, place: str, since) -> Member:
    """Mirror an active floating record on the member (status and floating fields)."""
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    before = {"status": current.status, "floating_direction": current.floating_direction}
    current.status, current.floating_direction = MemberStatus.FLOATING, direction
    current.floating_place, current.floating_since = place, since
    current.version += 1
    current.save()
    after = {"status": current.status, "floating_direction": direction}
    _history(actor, current, "floating", changed_fields(before, after))
    return current


@transaction.atomic
def clear_floating(actor: Actor, member: Member) -> Member:
    """The member is back: normal status, floating fields cleared."""
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    current.status = MemberStatus.NORMAL
    current.floating_direction, current.floating_place = "", ""
    current.floating_since = current.floating_until = None
    current.version += 1
    current.save()
    _history(actor, current, "returned", {"status": [MemberStatus.FLOATING, current.status]})
    return current


@transaction.atomic
def transfer_relationship(
    actor: Actor, member: Member, org, *, status: str | None = None, reference: str = ""
) -> Member:
    """An accepted relationship transfer (组织关系转接): the member's relationship moves to
    `org` (and the status changes, e.g. to transferred out), with a history row."""
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    before = {"org": str(current.org), "status": current.status}
    current.org = org
    if status:
        current.status = status
    if current.status != MemberStatus.FLOATING:
        current.floating_direction, current.floating_place = "", ""
        current.floating_since = current.floating_until = None
    current.version += 1
    current.save()
    fields = changed_fields(before, {"org": str(org), "status": current.status})
    if reference:
        fields["transfer"] = reference
    _history(actor, current, "transfer", fields)
    return current
