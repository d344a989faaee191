"""Registering floating members (流出/流入登记), their return, and their last contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import crypto, sealed
from heli.core.ids import allocate_ids
from heli.members import phones
from heli.members import services as member_services
from heli.members.choices import ACTIVE_STATUSES, FloatingDirection
from heli.members.models import Member
from heli.mobility import signals
from heli.mobility.models import (
    CheckIn,
    CheckInSource,
    CheckInStatus,
    ContactKind,
    Document,
    FloatingEvent,
    FloatingRecord,
    RecordStatus,
)
from heli.orgs.models import OrgCategory, PartyOrg

SIX_MONTHS = 6


def inflow_side_org(grid_id: int | None, fallback: PartyOrg | None) -> PartyOrg | None:
    """The organization acting for the inflow side of a record: the branch of the grid where
    the member lives, or `fallback` (the user's own organization) when the grid has none.
    Read in the request's scope."""
    branch = (
        PartyOrg.objects.filter(region_id=grid_id, category=OrgCategory.REGIONAL).first()
        if grid_id
        else None
    )
    return branch or fallback


def sides(record_: FloatingRecord) -> list[PartyOrg]:
    """The organizations of the three parties of 三方共管 that are named on the record."""
    inflow = record_.inflow_org or inflow_side_org(record_.grid_id, None)
    found = [record_.outflow_org, inflow, record_.industry_chain]
    return [org for org in found if org is not None]


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
    require(actor.user, Right.EDIT_MEMBERS)
    locked = Member.unscoped.select_for_update().get(pk=member.pk)
    if locked.status not in ACTIVE_STATUSES or locked.deleted_at is not None:
        raise ValidationError(_("Only an active member can be registered as floating."))
    if FloatingRecord.unscoped.filter(member=locked, status=RecordStatus.ACTIVE).exists():
        raise ValidationError(_("This member already has an active floating record."))
    fields = dict(data)
    phone = fields.pop("contact_phone", "")
    fields["pk"] = allocate_ids(FloatingRecord, 1)[0]  # the phone is encrypted for its row
    if phone:
        number = phones.validate(phone)
        fields["contact_phone_cipher"] = sealed.seal(
            FloatingRecord, "contact_phone_cipher", fields["pk"], number
        )
        fields["contact_phone_mask"] = crypto.mask_phone(number)
    if fields.get("direction") == FloatingDirection.OUT:
        fields.setdefault("outflow_org", locked.org)
    if fields.get("grid") is None:  # the clock's lists group records by grid
        fields["grid"] = locked.residence_grid
    fields["document"] = document_for(
        fields.get("expected_months"), fields.get("place_certain", True)
    )
    floating = FloatingRecord(member=locked, **fields)
    # The one-active-record rule was checked above under the lock; the database enforces it.
    # The id is a fresh one (allocate_ids): no query through the scope to check it is unique.
    floating.full_clean(exclude=["member", "id"], validate_constraints=False)
    floating.save(force_insert=True)
    member_services.set_floating(
        actor, locked, direction=floating.direction, place=floating.place, since=floating.since
    )
    add_event(actor, floating, "registered", document=floating.document)
    record(actor, "floating.register", floating, detail={"direction": floating.direction})
    return floating


@transaction.atomic
def register_return(
    actor: Actor, floating: FloatingRecord, on: dt.date, *, card_handed_in: bool = False
) -> FloatingRecord:
    """Return registration (返回登记): the record ends and the member is normal again. A
    member who carried the activity card hands it in (the return page asks for it)."""
    require(actor.user, Right.EDIT_MEMBERS)
    locked = FloatingRecord.unscoped.select_for_update().get(pk=floating.pk)
    if locked.status != RecordStatus.ACTIVE:
        raise ValidationError(_("This floating record has already ended."))
    if on < locked.since:
        raise ValidationError({"ended_on": [_("The return cannot be before the departure.")]})
    locked.status, locked.ended_on = RecordStatus.RETURNED, on
    locked.save(update_fields=["status", "ended_on"])
    member_services.clear_floating(actor, locked.member)
    detail = {"on": on.isoformat()} | ({"card": locked.card_number} if card_handed_in else {})
    add_event(actor, locked, "returned", **detail)
    record(actor, "floating.return", locked)
    signals.floating_returned.send(sender=FloatingRecord, actor=actor, record=locked)
    return locked


def follow_relationship(actor: Actor, member: Member, org: PartyOrg) -> None:
    """The member's relationship moved inside the zone (an accepted transfer): their active
    outflow records now name the organization holding it as the outflow side."""
    active = FloatingRecord.unscoped.filter(
        member=member, status=RecordStatus.ACTIVE, direction=FloatingDirection.OUT
    )
    for floating_record in active.select_for_update():
        floating_record.outflow_org = org
        floating_record.save(update_fields=["outflow_org"])
        add_event(actor, floating_record, "relationship_moved", org=org.name)


def touch_on_check_in(
    member: Member, at: dt.datetime, *, verified: bool = True
) -> list[tuple[int, str]]:
    """A verified check-in restarts the lost-contact clock of the member's active floating
    records (`last_contact_at`); a self-reported one only moves `last_reported_at`, shown
    beside it. One statement either way (it runs inside every check-in). The check-in row
    itself is the timeline's entry (see `timeline`). Returns the (id, direction) of the
    records touched."""
    quote = connection.ops.quote_name
    table = quote(FloatingRecord._meta.db_table)
    column = quote("last_contact_at" if verified else "last_reported_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s "
            f"WHERE {quote('member_id')} = %s AND {quote('status')} = %s "
            f"RETURNING {quote('id')}, {quote('direction')}",
            [at, member.pk, RecordStatus.ACTIVE],
        )
        return [(pk, direction) for pk, direction in cursor.fetchall()]


def touch_on_verified(member: Member, at: dt.datetime) -> list[tuple[int, str]]:
    """A check-in confirmed by staff is a verified contact from its own time: it moves the
    last contact of the member's active records to `at` where that is later (never back).
    Returns the (id, direction) of every active record, for the letters."""
    active = FloatingRecord.unscoped.filter(member=member, status=RecordStatus.ACTIVE)
    active.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=at)).update(
        last_contact_at=at
    )
    return list(active.values_list("id", "direction"))


def recount_reports(member_ids: set[int]) -> None:
    """The last self-reported check-in of these members' active records, counted again from
    the check-ins since each record began (a rejected one is no longer one)."""
    latest = (
        CheckIn.unscoped.filter(
            member_id=OuterRef("member_id"), source=CheckInSource.QR, day__gte=OuterRef("since")
        )
        .exclude(status=CheckInStatus.REJECTED)
        .order_by("-at")
        .values("at")[:1]
    )
    FloatingRecord.unscoped.filter(member_id__in=member_ids, status=RecordStatus.ACTIVE).update(
        last_reported_at=Subquery(latest)
    )


def timeline(floating: FloatingRecord, limit: int = 100) -> list:
    """Everything that happened to the person while floating, newest first: the record's
    events and the member's check-ins at stations since the record began."""
    events = list(floating.events.all()[:limit])
    check_ins = CheckIn.unscoped.filter(member_id=floating.member_id, day__gte=floating.since)
    if floating.ended_on is not None:
        check_ins = check_ins.filter(day__lte=floating.ended_on)
    entries = events + list(check_ins.select_related("station")[:limit])
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:limit]


def _active(floating: FloatingRecord) -> FloatingRecord:
    locked = FloatingRecord.unscoped.select_for_update().get(pk=floating.pk)
    if locked.status != RecordStatus.ACTIVE:
        raise ValidationError(_("This floating record has already ended."))
    return locked


@transaction.atomic
def log_contact(actor: Actor, floating: FloatingRecord, kind: str, note: str) -> FloatingRecord:
    """A worker logs a contact (a liaison call, a visit): the clock starts again."""
    require(actor.user, Right.EDIT_MEMBERS)
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
    """三方共管: name the owner of each duty (contact, education, services); a duty missing
    from `owners` keeps its owner, one given as None has nobody."""
    require(actor.user, Right.EDIT_MEMBERS)
    locked = _active(floating)
    changed = {}
    for duty in DUTIES:
        if duty not in owners:  # left as it is (named by another party, say)
            continue
        owner = owners[duty]
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
    require(actor.user, Right.EDIT_MEMBERS)
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
    require(actor.user, Right.EDIT_MEMBERS)
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


def record_export(actor: Actor, rows: int) -> None:
    """Exports of the floating list are audited (they hold names and whereabouts)."""
    record(actor, "floating.export", detail={"rows": rows})


def record_report_download(actor: Actor, towns: int) -> None:
    """So is the report's workbook, for the record of who took the figures."""
    record(actor, "floating.report", detail={"rows": towns})


def reveal_contact_phone(actor: Actor, floating: FloatingRecord) -> str:
    """The contact phone in full, for a user with the right; audited every time."""
    if not floating.contact_phone_cipher:
        return ""
    record(actor, "floating.reveal", floating, detail={"fields": ["contact_phone"]})
    return sealed.readable(floating, "contact_phone_cipher")
