"""The rules of reminder letters (督促报到函): who is due one, issuing with numbers, sending,
reminding when the reply is late, closing and cancelling.

Each change is one transaction that locks the letter, checks the move against
`models.TRANSITIONS`, writes a `LetterEvent` and an audit entry. Letters close by themselves
when the member checks in or the inflow side confirms them (see `receivers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import serials
from heli.core.scoping import current_scope
from heli.members.choices import FloatingDirection
from heli.members.models import Member
from heli.mobility.models import FloatingRecord, RecordStatus
from heli.orgs.models import PartyOrg, org_ids_q

from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    CloseReason,
    LetterCounter,
    LetterEvent,
    LetterStatus,
    ReminderLetter,
)


def due_after_days() -> int:
    return settings.LETTER_DUE_AFTER_DAYS


def reply_days() -> int:
    return settings.LETTER_REPLY_DAYS


def due_q(today: dt.date) -> Q:
    """Active outflow records away at least LETTER_DUE_AFTER_DAYS days, not confirmed by the
    inflow side, with no letter but cancelled ones: an open letter is under way, and a closed
    one means the matter was settled (the member checked in or was confirmed)."""
    letter = ReminderLetter.unscoped.filter(record=OuterRef("pk")).exclude(
        status=LetterStatus.CANCELLED
    )
    return Q(
        direction=FloatingDirection.OUT,
        status=RecordStatus.ACTIVE,
        since__lte=today - dt.timedelta(days=due_after_days()),
        inflow_confirmed_at__isnull=True,
        outflow_org__isnull=False,
    ) & ~Q(Exists(letter))


def due_records(today: dt.date | None = None) -> QuerySet[FloatingRecord]:
    """The members due a letter that the current user's organizations may write: the record's
    outflow organization is in the user's organization subtree (a place-only view of a record
    is not enough to write in another organization's name)."""
    today = today or timezone.localdate()
    return (
        FloatingRecord.objects.filter(due_q(today))
        .filter(org_ids_q(current_scope(), "outflow_org"))  # a semi-join on ids, no join
        .select_related("member", "outflow_org")
        .order_by("since", "pk")
    )


def overdue_q(today: dt.date | None = None) -> Q:
    """Sent letters whose reply date has passed."""
    return Q(status=LetterStatus.SENT, expected_reply_on__lt=today or timezone.localdate())


def letter_number(org: PartyOrg, year: int, serial: int) -> str:
    """GB/T 9704 style: issuing organization's name (without a leading 中共) as its code, the
    year in full inside 〔〕, the serial unpadded, then 号."""
    code = org.name.removeprefix("中共")
    return f"{code}督报〔{year}〕{serial}号"


def addressee_for(floating: FloatingRecord) -> str:
    """The inflow-side organization, or the party organizations of the place when unknown."""
    if floating.inflow_org_id and floating.inflow_org is not None:
        return floating.inflow_org.name
    if floating.other_org_name.strip():
        return floating.other_org_name.strip()
    return f"{floating.place}有关党组织"


def allocate_serials(org: PartyOrg, year: int, count: int) -> int:
    """Reserve `count` consecutive serials of `org` in `year`; returns the first. The UPDATE
    locks the counter row until the caller's transaction ends (PostgreSQL row lock; SQLite
    serializes writers), so concurrent issues get distinct numbers. Must run in a transaction."""
    return serials.reserve(LetterCounter, {"org": org, "year": year}, count)


def _event(
    actor: Actor, letter: ReminderLetter, from_status: str, kind: str, note: str = ""
) -> LetterEvent:
    return LetterEvent.objects.create(
        letter=letter,
        from_status=from_status,
        to_status=letter.status,
        kind=kind,
        username=actor.username,
        note=note[:255],
    )


def _check_issuable(floating: FloatingRecord, today: dt.date) -> None:
    name = floating.member.name
    if floating.direction != FloatingDirection.OUT or floating.status != RecordStatus.ACTIVE:
        raise ValidationError(
            _("%(name)s is not an outflow member away now: no letter is needed.") % {"name": name}
        )
    if floating.inflow_confirmed_at is not None:
        raise ValidationError(
            _("The inflow side has already confirmed %(name)s: no letter is needed.")
            % {"name": name}
        )
    if floating.since > today - dt.timedelta(days=due_after_days()):
        raise ValidationError(
            _("%(name)s left less than %(days)s days ago: no letter is due yet.")
            % {"name": name, "days": due_after_days()}
        )
    org = floating.outflow_org
    if org is None or org.is_external:
        raise ValidationError(
            _("%(name)s has no outflow organization in the zone to write the letter.")
            % {"name": name}
        )
    letters = ReminderLetter.unscoped.filter(record=floating)
    if letters.exclude(status=LetterStatus.CANCELLED).exists():
        raise ValidationError(
            _("%(name)s already has a reminder letter for this absence.") % {"name": name}
        )


@transaction.atomic
def issue(
    actor: Actor, records: Iterable[FloatingRecord], today: dt.date | None = None
) -> list[ReminderLetter]:
    """Write one letter per record, numbered per issuing organization and year, all or none.
    Each record is locked so that two workers cannot issue two letters for one member."""
    require(actor.user, Right.EDIT_MEMBERS)
    today = today or timezone.localdate()
    pks = sorted({r.pk for r in records})
    if not pks:
        raise ValidationError(_("Choose at least one member to write to."))
    locked = list(
        FloatingRecord.unscoped.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("member", "outflow_org", "inflow_org")
        .order_by("since", "pk")
    )
    for floating in locked:
        _check_issuable(floating, today)
    by_org: dict[int, list[FloatingRecord]] = {}
    for floating in locked:
        by_org.setdefault(floating.outflow_org_id, []).append(floating)
    letters = []
    for group in by_org.values():
        org = group[0].outflow_org
        first = allocate_serials(org, today.year, len(group))
        for offset, floating in enumerate(group):
            serial = first + offset
            letter = ReminderLetter.unscoped.create(
                record=floating,
                member=floating.member,
                issuing_org=org,
                year=today.year,
                serial=serial,
                number=letter_number(org, today.year, serial),
                addressee=addressee_for(floating),
                issued_on=today,
                created_by=actor.user,
            )
            _event(actor, letter, "", "issued")
            letters.append(letter)
    record(
        actor,
        "letter.issue",
        letters[0] if len(letters) == 1 else None,
        detail={"letters": _named(letters), "count": len(letters)},
    )
    return letters


def _named(letters: Iterable[ReminderLetter]) -> list[dict]:
    """The letters an audit entry names: id, number and member (batches are one entry)."""
    return [{"id": x.pk, "number": x.number, "member": x.member.name} for x in letters]


def _locked(letter: ReminderLetter) -> ReminderLetter:
    return (
        ReminderLetter.unscoped.select_for_update(of=("self",))
        .select_related("member", "issuing_org")
        .get(pk=letter.pk)
    )


def _move(locked: ReminderLetter, to: str) -> str:
    """Check the move against the transitions table; returns the status moved from."""
    if to not in TRANSITIONS[locked.status]:
        raise ValidationError(
            _("A letter that is “%(status)s” cannot be changed like this.")
            % {"status": locked.get_status_display()}
        )
    before = locked.status
    locked.status = to
    return before


@transaction.atomic
def mark_sent(actor: Actor, letter: ReminderLetter, on: dt.date) -> ReminderLetter:
    """The letter went out on `on`: a reply is expected LETTER_REPLY_DAYS later."""
    require(actor.user, Right.EDIT_MEMBERS)
    if on is None:
        raise ValidationError({"sent_on": [_("Give the date the letter was sent.")]})
    locked = _locked(letter)
    before = _move(locked, LetterStatus.SENT)
    if on < locked.issued_on:
        raise ValidationError({"sent_on": [_("A letter cannot be sent before it is dated.")]})
    if on > timezone.localdate():
        raise ValidationError({"sent_on": [_("The date sent cannot be in the future.")]})
    locked.sent_on = on
    locked.expected_reply_on = on + dt.timedelta(days=reply_days())
    locked.save(update_fields=["status", "sent_on", "expected_reply_on"])
    _event(actor, locked, before, "sent", note=on.isoformat())
    record(actor, "letter.send", locked, detail={"sent_on": on.isoformat()})
    return locked


def check_remindable(letter: ReminderLetter, on: dt.date) -> None:
    """A reminder is for a sent letter whose reply is late on `on` (checked again under the
    lock by `remind` and `remind_all`; a page checks a batch before it queues it)."""
    if letter.status != LetterStatus.SENT:
        raise ValidationError(
            _("Only a sent letter can be reminded (%(number)s).") % {"number": letter.number}
        )
    if not letter.is_overdue(on):
        raise ValidationError(
            _("The reply to %(number)s is not late yet: it is expected by %(date)s.")
            % {"number": letter.number, "date": letter.expected_reply_on.isoformat()}
        )


def _remind_locked(actor: Actor, locked: ReminderLetter, on: dt.date, note: str) -> None:
    check_remindable(locked, on)
    locked.reminder_count += 1
    locked.last_reminded_on = on
    locked.expected_reply_on = on + dt.timedelta(days=reply_days())
    locked.save(update_fields=["reminder_count", "last_reminded_on", "expected_reply_on"])
    _event(actor, locked, LetterStatus.SENT, "reminded", note=note.strip())


@transaction.atomic
def remind(
    actor: Actor, letter: ReminderLetter, on: dt.date | None = None, note: str = ""
) -> ReminderLetter:
    """A reminder for a sent letter whose reply is late (催办): the reply is expected again
    LETTER_REPLY_DAYS after the reminder."""
    require(actor.user, Right.EDIT_MEMBERS)
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError(_("The reminder date cannot be in the future."))
    locked = _locked(letter)
    _remind_locked(actor, locked, on, note)
    record(actor, "letter.remind", locked, detail={"count": locked.reminder_count})
    return locked


@transaction.atomic
def remind_all(actor: Actor, letters: Iterable[ReminderLetter], note: str = "") -> int:
    """A reminder for each letter, all or none (the letters list's batch): one audit entry
    names them all."""
    require(actor.user, Right.EDIT_MEMBERS)
    pks = sorted({letter.pk for letter in letters})
    if not pks:
        raise ValidationError(_("Tick at least one letter."))
    locked = list(
        ReminderLetter.unscoped.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("member", "issuing_org")
        .order_by("pk")
    )
    today = timezone.localdate()
    for letter in locked:
        _remind_locked(actor, letter, today, note)
    record(actor, "letter.remind", None, detail={"letters": _named(locked), "count": len(locked)})
    return len(locked)


@transaction.atomic
def close(actor: Actor, letter: ReminderLetter, reason: str, note: str = "") -> ReminderLetter:
    """The matter is settled: the member reported or the inflow side confirmed them. Closing
    by hand needs a note saying how it was settled, and the right to edit members (a
    settlement by rule follows a service that checked its own right)."""
    if reason == CloseReason.MANUAL:
        require(actor.user, Right.EDIT_MEMBERS)
    if reason not in CloseReason.values:
        raise ValidationError({"reason": [_("Choose why the letter is settled.")]})
    note = note.strip()
    if reason == CloseReason.MANUAL and not note:
        raise ValidationError({"note": [_("Say how the matter was settled.")]})
    locked = _locked(letter)
    before = _move(locked, LetterStatus.CLOSED)
    locked.closed_at, locked.close_reason, locked.close_note = timezone.now(), reason, note[:255]
    locked.save(update_fields=["status", "closed_at", "close_reason", "close_note"])
    _event(actor, locked, before, f"closed_{reason}", note=note)
    record(actor, "letter.close", locked, detail={"reason": reason})
    return locked


@transaction.atomic
def cancel(actor: Actor, letter: ReminderLetter, reason: str) -> ReminderLetter:
    """Withdraw a letter written in error (作废). Its number stays used."""
    require(actor.user, Right.EDIT_MEMBERS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for voiding the letter.")]})
    locked = _locked(letter)
    before = _move(locked, LetterStatus.CANCELLED)
    locked.closed_at, locked.close_note = timezone.now(), reason[:255]
    locked.save(update_fields=["status", "closed_at", "close_note"])
    _event(actor, locked, before, "cancelled", note=reason)
    record(actor, "letter.cancel", locked, detail={"reason": reason})
    return locked


def close_open_letters(
    actor: Actor,
    reason: str,
    *,
    member: Member | None = None,
    floating: FloatingRecord | None = None,
    note: str = "",
) -> list[ReminderLetter]:
    """Close every open letter of a member or a record (called from the mobility signals, in
    the sender's transaction: a failure here undoes the check-in or confirmation too)."""
    letters = ReminderLetter.unscoped.filter(status__in=OPEN_STATUSES)
    if member is not None:
        letters = letters.filter(member=member)
    elif floating is not None:
        letters = letters.filter(record=floating)
    else:
        return []
    return [close(actor, letter, reason, note) for letter in letters.order_by("pk")]


def record_download(actor: Actor, letters: list[ReminderLetter]) -> None:
    """Every download of letters is audited (they carry members' personal data): one entry
    per download naming every letter in it."""
    record(
        actor,
        "letter.download",
        letters[0] if len(letters) == 1 else None,
        detail={"letters": _named(letters), "count": len(letters)},
    )
