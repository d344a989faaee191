"""Check-in (报到) at a station: by QR code on a phone, or recorded by staff.

The public flow never tells whether an ID number or phone is known to heli: a known member with
the matching name is checked in, anybody else becomes a pending check-in for the station's
branch to confirm, and both get the same answer.

Anyone who knows a member's name and number can make a QR check-in, so it is self-reported:
it shows on the timeline and waits for the home branch (`self_reports`), but only a verified
check-in (VERIFIED_SOURCES, or confirmed by staff) moves the last contact and settles letters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import crypto, freetext, sealed
from heli.core.ids import allocate_ids
from heli.members import idcard, phones, sensitive
from heli.members.choices import ACTIVE_STATUSES
from heli.members.models import Member
from heli.members.sensitive import ID_PURPOSE, PHONE_PURPOSE
from heli.mobility import floating, self_reports, signals
from heli.mobility.models import (
    CheckIn,
    CheckInSource,
    CheckInStatus,
    PendingCheckIn,
    PendingStatus,
)
from heli.stations.models import Station

# Sources whose check-ins are verified contacts as they come in: staff saw the member. A
# member's own login (a later issue) joins here; a QR code never does (it is anyone's claim).
VERIFIED_SOURCES = frozenset({CheckInSource.STAFF})


@dataclass(frozen=True)
class Identity:
    """What a person types on the station page: a name and an ID number or a phone."""

    name: str
    id_number: str = ""
    phone: str = ""

    @classmethod
    def parse(cls, name: str, id_or_phone: str) -> Identity:
        """Raises ValidationError when the number is neither a valid ID number nor a phone."""
        value = id_or_phone.strip()
        digits = phones.normalize(value)
        if len(digits) == 11 and digits.isdigit():
            return cls(name=name.strip(), phone=phones.validate(value))
        return cls(name=name.strip(), id_number=idcard.validate(value))

    @property
    def purpose(self) -> str:
        return ID_PURPOSE if self.id_number else PHONE_PURPOSE

    @property
    def value(self) -> str:
        return self.id_number or self.phone

    @property
    def digest(self) -> str:
        return crypto.digest(self.purpose, self.value)

    @property
    def mask(self) -> str:
        return crypto.mask_id(self.value) if self.id_number else crypto.mask_phone(self.value)


def find_member(identity: Identity) -> Member | None:
    """The active member with this ID number (or phone) and exactly this name, if any."""
    field = "id_digest" if identity.id_number else "phone_digest"
    # Only the name: the check-in row, its audit entry and the signal's receivers need no
    # more, and the member's full row (dozens of columns) is most of the lookup's cost.
    candidates = (
        Member.unscoped.filter(
            **{field: identity.digest}, deleted_at__isnull=True, status__in=ACTIVE_STATUSES
        )
        .only("id", "name")
        .order_by()
    )
    name = identity.name.replace(" ", "")
    return next((m for m in candidates if m.name.replace(" ", "") == name), None)


def record_check_in(
    actor: Actor,
    member: Member,
    station: Station,
    *,
    source: str = CheckInSource.QR,
    day: dt.date | None = None,
    verified: bool | None = None,
) -> tuple[CheckIn, bool]:
    """The member's check-in at the station for the day, created if new (audited then).

    It is verified when its source is (VERIFIED_SOURCES) or when staff confirmed the person
    (`verified=True`, a pending check-in decided); else self-reported. A verified check-in
    for a day whose check-in there was not verified makes that one verified.

    Concurrent calls for the same member, station and day end with one row: the loser of the
    race hits the unique constraint and reads the winner's row.
    """
    require(actor.user, Right.EDIT_MEMBERS)
    day = day or timezone.localdate()
    verified = source in VERIFIED_SOURCES if verified is None else verified
    status = CheckInStatus.VERIFIED if verified else CheckInStatus.SELF_REPORTED
    try:
        with transaction.atomic():
            check_in = _insert(actor, member, station, source, day, status)
            record(actor, "checkin.create", check_in, detail={"source": source})
            return check_in, True
    except IntegrityError:
        existing = CheckIn.unscoped.get(member=member, station=station, day=day)
        if verified and existing.status != CheckInStatus.VERIFIED:
            self_reports.verify(actor, [existing])
            existing.refresh_from_db()
        return existing, False


def _insert(
    actor: Actor, member: Member, station: Station, source: str, day: dt.date, status: str
) -> CheckIn:
    """The check-in row and what follows from it (last contact or last report, the signal),
    unaudited: the caller writes the audit entry (one per check-in, or one per batch)."""
    verified = status == CheckInStatus.VERIFIED
    decided = verified and source not in VERIFIED_SOURCES  # staff confirmed the person
    check_in = CheckIn.unscoped.create(
        member=member, station=station, day=day, source=source, recorded_by=actor.user,
        status=status, decided_by=actor.user if decided else None,
        decided_at=timezone.now() if decided else None,
    )  # fmt: skip
    records = floating.touch_on_check_in(member, check_in.at, verified=verified)
    signals.send_checked_in(actor, check_in, records, verified=verified)
    return check_in


def register_unknown(actor: Actor, identity: Identity, station: Station) -> PendingCheckIn:
    day = timezone.localdate()
    try:
        with transaction.atomic():
            pk = allocate_ids(PendingCheckIn, 1)[0]
            pending = PendingCheckIn.unscoped.create(
                pk=pk,
                station=station,
                day=day,
                name=identity.name,
                identity_cipher=sealed.seal(PendingCheckIn, "identity_cipher", pk, identity.value),
                identity_digest=identity.digest,
                identity_mask=identity.mask,
            )
            record(actor, "checkin.pending", pending)
            return pending
    except IntegrityError:
        return PendingCheckIn.unscoped.get(
            station=station, day=day, identity_digest=identity.digest
        )


def check_in_by_qr(actor: Actor, identity: Identity, station: Station) -> None:
    """The public flow: check in a known member, or leave a pending check-in. Returns nothing
    on purpose: the caller must answer both cases alike."""
    member = find_member(identity)
    if member is not None:
        record_check_in(actor, member, station)
    else:
        register_unknown(actor, identity, station)


def confirm_pending(actor: Actor, pending: PendingCheckIn, member: Member) -> CheckIn:
    """The branch confirmed the person (now registered as `member`): their check-in counts
    from the day they scanned."""
    require(actor.user, Right.EDIT_MEMBERS)
    with transaction.atomic():
        locked = PendingCheckIn.unscoped.select_for_update().get(pk=pending.pk)
        if locked.status != PendingStatus.PENDING:
            raise ValidationError(_("This check-in has already been decided."))
        locked.status, locked.decided_by = PendingStatus.CONFIRMED, actor.user
        locked.save(update_fields=["status", "decided_by"])
        check_in, _created = record_check_in(
            actor, member, locked.station, source=CheckInSource.QR, day=locked.day, verified=True
        )
        # Audited after the check-in's rows: the audit chain's lock is the last one taken.
        record(actor, "checkin.confirm", locked, detail={"member": member.pk})
        return check_in


def reject_pending(actor: Actor, pending: PendingCheckIn, reason: str) -> PendingCheckIn:
    require(actor.user, Right.EDIT_MEMBERS)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for rejecting this check-in.")]})
    with transaction.atomic():
        locked = PendingCheckIn.unscoped.select_for_update().get(pk=pending.pk)
        if locked.status != PendingStatus.PENDING:
            raise ValidationError(_("This check-in has already been decided."))
        locked.status, locked.decided_by = PendingStatus.REJECTED, actor.user
        locked.save(update_fields=["status", "decided_by"])
        record(actor, "checkin.reject", locked, detail={"reason": reason.strip()})
        return locked


def _lock_pending(pendings: list[PendingCheckIn]) -> list[PendingCheckIn]:
    pks = sorted({p.pk for p in pendings})
    if not pks:
        raise ValidationError(_("Tick at least one check-in."))
    locked = list(
        PendingCheckIn.unscoped.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("station")
        .order_by("pk")
    )
    decided = [p.name for p in locked if p.status != PendingStatus.PENDING]
    if decided:
        raise ValidationError(
            _("Already decided: %(names)s. Untick them and try again.")
            % {"names": "、".join(decided)}
        )
    return locked


def matching_members(pendings: list[PendingCheckIn]) -> dict[int, Member]:
    """{pending id: the member in the current scope with the same ID number or phone (by
    digest) and the same name}, for the check-ins that have exactly one such member."""
    digests = {p.identity_digest for p in pendings}
    members = Member.objects.filter(
        Q(id_digest__in=digests) | Q(phone_digest__in=digests), status__in=ACTIVE_STATUSES
    )
    by_digest: dict[str, list[Member]] = {}
    for member in members:
        for digest in (member.id_digest, member.phone_digest):
            if digest in digests:
                by_digest.setdefault(digest, []).append(member)
    found = {}
    for pending in pendings:
        name = pending.name.replace(" ", "")
        candidates = by_digest.get(pending.identity_digest, [])
        same = [m for m in candidates if m.name.replace(" ", "") == name]
        if len(same) == 1:
            found[pending.pk] = same[0]
    return found


@transaction.atomic
def confirm_matching(actor: Actor, pendings: list[PendingCheckIn]) -> list[CheckIn]:
    """Confirm check-ins whose person is now a registered member (matched by number and name):
    each counts from the day they scanned. All or none; one audit entry names them all.
    People not registered yet are confirmed one by one with their registration."""
    require(actor.user, Right.EDIT_MEMBERS)
    locked = _lock_pending(pendings)
    members = matching_members(locked)
    unmatched = [p.name for p in locked if p.pk not in members]
    if unmatched:
        raise ValidationError(
            _(
                "No registered member matches %(names)s by number and name: register them one "
                "by one (登记并确认), or untick them."
            )
            % {"names": "、".join(unmatched)}
        )
    check_ins = []
    for pending in locked:
        pending.status, pending.decided_by = PendingStatus.CONFIRMED, actor.user
        pending.save(update_fields=["status", "decided_by"])
        member = members[pending.pk]
        existing = CheckIn.unscoped.filter(member=member, station=pending.station, day=pending.day)
        check_in = existing.first() or _insert(
            actor, member, pending.station, CheckInSource.QR, pending.day, CheckInStatus.VERIFIED
        )
        check_ins.append(check_in)
    # Confirming the person verifies a self-report they made there that day.
    self_reports.verify(actor, [c for c in check_ins if c.status != CheckInStatus.VERIFIED])
    record(
        actor,
        "checkin.confirm",
        None,
        detail={
            "count": len(locked),
            "pending": [{"id": p.pk, "name": p.name, "member": members[p.pk].pk} for p in locked],
        },
    )
    return check_ins


@transaction.atomic
def reject_all(actor: Actor, pendings: list[PendingCheckIn], reason: str) -> int:
    """Reject check-ins with one reason, all or none; one audit entry names them all."""
    require(actor.user, Right.EDIT_MEMBERS)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for rejecting these check-ins.")]})
    freetext.refuse_numbers(reason)  # free text holds no ID number or phone
    locked = _lock_pending(pendings)
    for pending in locked:
        pending.status, pending.decided_by = PendingStatus.REJECTED, actor.user
        pending.save(update_fields=["status", "decided_by"])
    record(
        actor,
        "checkin.reject",
        None,
        detail={
            "count": len(locked),
            "reason": reason.strip(),
            "pending": [{"id": p.pk, "name": p.name} for p in locked],
        },
    )
    return len(locked)


def register_and_confirm(actor: Actor, pending: PendingCheckIn, data: dict) -> Member:
    """Register the unknown person as a member from the branch's form, and confirm their
    check-in, in one transaction. The member registered must be the person who checked in:
    their ID number or phone is the one given at the station."""
    require(actor.user, Right.EDIT_MEMBERS)
    from heli.members.services import create_member

    given = {
        sensitive.id_digest_of(data.get("id_number") or ""),
        sensitive.phone_digest_of(data.get("phone") or ""),
    }
    if pending.identity_digest not in given:
        raise ValidationError(
            _(
                "Neither the ID number nor the phone is the one the person gave at the station "
                "(%(mask)s): check the number with them, or reject the check-in."
            )
            % {"mask": pending.identity_mask}
        )
    with transaction.atomic():
        member = create_member(actor, data)
        confirm_pending(actor, pending, member)
        return member


def reveal_pending(actor: Actor, pending: PendingCheckIn) -> str:
    """The number the person typed, in full, for whoever registers them and may see numbers
    in full (VIEW_SENSITIVE); audited."""
    require(actor.user, Right.VIEW_SENSITIVE)
    number = sealed.readable(pending, "identity_cipher")
    record(actor, "checkin.reveal", pending)
    return number
