"""Registering floating members (流出/流入登记), their return, and their last contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.members import services as member_services
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection
from heli.members.models import Member
from heli.mobility.models import Document, FloatingEvent, FloatingRecord, RecordStatus

SIX_MONTHS = 6


def document_for(expected_months: int | None, place_certain: bool) -> str:
    """More than six months at a fixed place: formal transfer of the relationship; six months
    or less: a certificate letter; place or time uncertain: the activity card."""
    if not place_certain or expected_months is None:
        return Document.ACTIVITY_CARD
    return Document.TRANSFER if expected_months > SIX_MONTHS else Document.CERTIFICATE_LETTER


def add_event(actor: Actor, record_: FloatingRecord, kind: str, **detail: Any) -> FloatingEvent:
    return FloatingEvent.objects.create(
        record=record_, kind=kind, username=actor.username, detail=detail
    )


@transaction.atomic
def register(actor: Actor, member: Member, data: dict[str, Any]) -> FloatingRecord:
    """Open a floating record (the member's only active one) and mirror it on the member."""
    locked = Member.unscoped.select_for_update().get(pk=member.pk)
    if locked.status not in ACTIVE_STATUSES or locked.deleted_at is not None:
        raise ValidationError(_("Only an active member can be registered as floating."))
    if FloatingRecord.unscoped.filter(member=locked, status=RecordStatus.ACTIVE).exists():
        raise ValidationError(_("This member already has an active floating record."))
    fields = dict(data)
    if fields.get("direction") == FloatingDirection.OUT:
        fields.setdefault("outflow_org", locked.org)
    fields["document"] = document_for(
        fields.get("expected_months"), fields.get("place_certain", True)
    )
    floating = FloatingRecord(member=locked, **fields)
    # The one-active-record rule was checked above under the lock; the database enforces it.
    floating.full_clean(exclude=["member"], validate_constraints=False)
    floating.save()
    member_services.set_floating(
        actor, locked, direction=floating.direction, place=floating.place, since=floating.since
    )
    add_event(actor, floating, "registered", document=floating.document)
    record(actor, "floating.register", floating, detail={"direction": floating.direction})
    return floating


@transaction.atomic
def register_return(actor: Actor, floating: FloatingRecord, on: dt.date) -> FloatingRecord:
    """Return registration (返回登记): the record ends and the member is normal again."""
    locked = FloatingRecord.unscoped.select_for_update().get(pk=floating.pk)
    if locked.status != RecordStatus.ACTIVE:
        raise ValidationError(_("This floating record has already ended."))
    if on < locked.since:
        raise ValidationError({"ended_on": [_("The return cannot be before the departure.")]})
    locked.status, locked.ended_on = RecordStatus.RETURNED, on
    locked.save(update_fields=["status", "ended_on"])
    member_services.clear_floating(actor, locked.member)
    add_event(actor, locked, "returned", on=on.isoformat())
    record(actor, "floating.return", locked)
    return locked


def touch_contact(actor: Actor, member: Member, kind: str, **detail: Any) -> None:
    """Any contact (a check-in, a visit, a call) restarts the member's lost-contact clock."""
    now = timezone.now()
    for floating in FloatingRecord.unscoped.filter(member=member, status=RecordStatus.ACTIVE):
        FloatingRecord.unscoped.filter(pk=floating.pk).update(last_contact_at=now)
        add_event(actor, floating, kind, **detail)
