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
from heli.mobility import signals
from heli.mobility.models import (
    ContactKind,
    Document,
    FloatingEvent,
    FloatingRecord,
    RecordStatus,
)
from heli.orgs.models import PartyOrg

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


def _active(floating: FloatingRecord) -> FloatingRecord:
    locked = FloatingRecord.unscoped.select_for_update().get(pk=floating.pk)
    if locked.status != RecordStatus.ACTIVE:
        raise ValidationError(_("This floating record has already ended."))
    return locked


@transaction.atomic
def log_contact(actor: Actor, floating: FloatingRecord, kind: str, note: str) -> FloatingRecord:
    """A worker logs a contact (a liaison call, a visit): the clock starts again."""
    if kind not in ContactKind.values or kind == ContactKind.CHECK_IN:
        raise ValidationError({"kind": [_("Choose how the member was contacted.")]})
    locked = _active(floating)
    locked.last_contact_at = timezone.now()
    locked.save(update_fields=["last_contact_at"])
    add_event(actor, locked, kind, note=note.strip())
    record(actor, "floating.contact", locked, detail={"kind": kind})
    return locked


DUTIES = ("contact_owner", "education_owner", "services_owner")


@transaction.atomic
def assign_duties(actor: Actor, floating: FloatingRecord, owners: dict[str, Any]) -> FloatingRecord:
    """三方共管: name the owner of each duty (contact, education, services)."""
    locked = _active(floating)
    changed = {}
    for duty in DUTIES:
        owner = owners.get(duty)
        if getattr(locked, f"{duty}_id") != (owner.pk if owner else None):
            setattr(locked, duty, owner)
            changed[duty] = owner.username if owner else ""
    if changed:
        locked.save(update_fields=list(changed))
        add_event(actor, locked, "duties", **changed)
        record(actor, "floating.duties", locked, detail=changed)
    return locked


@transaction.atomic
def confirm_inflow(actor: Actor, floating: FloatingRecord, org: PartyOrg) -> FloatingRecord:
    """The inflow side confirms it has the member (流入地确认接收)."""
    locked = _active(floating)
    if locked.inflow_confirmed_at is not None:
        raise ValidationError(_("The inflow side has already confirmed this member."))
    locked.inflow_org, locked.inflow_confirmed_at = org, timezone.now()
    locked.last_contact_at = locked.inflow_confirmed_at
    locked.save(update_fields=["inflow_org", "inflow_confirmed_at", "last_contact_at"])
    add_event(actor, locked, "inflow_confirmed", org=org.name)
    record(actor, "floating.confirm_inflow", locked, detail={"org": org.pk})
    signals.inflow_confirmed.send(sender=FloatingRecord, actor=actor, record=locked)
    return locked


@transaction.atomic
def join_branch(
    actor: Actor, floating: FloatingRecord, org: PartyOrg, on: dt.date
) -> FloatingRecord:
    """就近归队入列: the member takes part in the life of a nearby branch."""
    locked = _active(floating)
    if org.is_external:
        raise ValidationError({"org": [_("Choose a branch inside the zone.")]})
    if on < locked.since:
        raise ValidationError({"joined_on": [_("The member cannot join before arriving.")]})
    locked.joined_org, locked.joined_on = org, on
    locked.save(update_fields=["joined_org", "joined_on"])
    add_event(actor, locked, "joined", org=org.name, on=on.isoformat())
    record(actor, "floating.join", locked, detail={"org": org.pk})
    return locked
