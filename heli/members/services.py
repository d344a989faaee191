"""Changing member records. Each function is one transaction that also writes the member's
history (MemberChange) and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import crypto, sealed
from heli.core.changes import changed_fields
from heli.core.scoping import activate
from heli.members import dates, idcard, sensitive
from heli.members.choices import FloatingDirection, Gender, Membership, MemberStatus
from heli.members.models import Member, MemberChange

SENSITIVE_INPUTS = ("id_number", "phone")


class EditConflict(Exception):
    """Someone else saved the member since this edit began (optimistic locking)."""


# Probation (预备期) of one year, by the constitution in force on the joining day: the 8th
# Congress's (1956-09-26 .. 1969-04-13) and the 11th's onwards (from 1977-08-18). Before 1956
# it varied by class of origin; the 9th and 10th Congress constitutions had none.
EIGHTH_CONGRESS = (dt.date(1956, 9, 26), dt.date(1969, 4, 13))
ELEVENTH_CONGRESS = dt.date(1977, 8, 18)
OLDEST = 110  # years: an older member is a typing error in the birth date
DATE_FIELDS = ("birth_date", "joined_on", "full_on", "reported_on", "floating_since")
NEVER = dt.date.min
BIRTH_BIT, JOINED_BIT, FULL_BIT = (dates.BITS[f] for f in ("birth_date", "joined_on", "full_on"))


def probation_applies(joined: dt.date, monthly: bool = False) -> bool:
    """Whether the one-year probation rule held on the joining day (a year-month counts only
    when the whole month is under the rule)."""
    last = dates.latest(joined, monthly)
    return joined >= ELEVENTH_CONGRESS or (
        EIGHTH_CONGRESS[0] <= joined and last < EIGHTH_CONGRESS[1]
    )


def check_consistency(
    member: Any, id_number: str | None, *, today: dt.date | None = None, judge_full_on: bool = True
) -> None:
    """Rules that span fields, for any member record: the form and the import share them.

    `member` is a Member or an import row (the same attributes, `month_dates` included).
    Dates known only to the month are compared by month, so no rule fails on a day nobody
    recorded. The rules: the birth date and gender agree with the ID number (its 17th digit:
    odd for men); no date lies in the future; the member joined at 18 or older (党章: 年满十八
    岁) and is not older than 110; full membership comes after joining, and, where the
    one-year probation applied (joined from 1977-08-18 on, or 1956-09-26 .. 1969-04-13, see
    `probation_applies`), not before a year has passed; a probationary member has no 转正日期
    and is not more than a year past the probation year (one year's extension at most); a full
    member under that rule has a 转正日期 once the probation year has passed (not judged when
    `judge_full_on` is false: an import whose file has no 转正日期 column). Then the floating
    and reporting details.
    """
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    # The import calls this for every row: cheap tests first (years apart), dates worked
    # out only when a rule may fail.
    today = today or timezone.localdate()
    mask = member.month_dates
    born, joined, full = member.birth_date, member.joined_on, member.full_on
    born_m = bool(mask & BIRTH_BIT)
    joined_m = bool(mask & JOINED_BIT)
    if id_number:
        shaped = idcard.SHAPE.match(id_number) is not None
        number = id_number if shaped else idcard.normalize(id_number)
        shaped = shaped or idcard.SHAPE.match(number) is not None
        exact = idcard.birth_date(number)
        if exact and born and (exact != born if not born_m else not dates.same_month(exact, born)):
            error(
                "birth_date",
                _("The birth date does not match the ID number (%(date)s).")
                % {"date": exact.isoformat()},
            )
        if member.gender and shaped and member.gender != idcard.gender(number):
            error(
                "gender",
                _("The gender does not match the ID number: its 17th digit means %(gender)s.")
                % {"gender": Gender(idcard.gender(number)).label},
            )
    days = (born, joined, full, member.reported_on, member.floating_since)
    if max(day or NEVER for day in days) > today:
        for field, day in zip(DATE_FIELDS, days, strict=True):
            if day is not None and day > today:
                label = capfirst(Member._meta.get_field(field).verbose_name)
                shown = dates.shown(day, mask, field)
                error(field, _("%(field)s %(date)s is later than today.") % {
                    "field": label, "date": shown
                })  # fmt: skip
    if (
        born
        and today.year - born.year > OLDEST
        and dates.add_years(dates.latest(born, born_m), OLDEST + 1) <= today
    ):
        error("birth_date", _("By this birth date the member is over 110 years old."))
    if joined and born and joined <= born:
        error("joined_on", _("The joining date must be after birth."))
    elif joined and born and joined.year - born.year <= 18:
        adult = dates.add_years(born, 18)
        if dates.before_by(joined, joined_m, adult, born_m):
            error(
                "joined_on",
                _(
                    "The member joined before their 18th birthday (%(date)s): the Party "
                    "Constitution admits only people aged 18 or over."
                )
                % {"date": dates.shown(adult, mask & BIRTH_BIT, "birth_date")},
            )
    if full and joined and full < joined:
        error("full_on", _("A member becomes full only after joining."))
    if joined and probation_applies(joined, joined_m):
        _check_probation(member, today, judge_full_on, error)
    if member.status == MemberStatus.FLOATING:
        if member.floating_direction not in FloatingDirection.values:
            error(
                "floating_direction", _("A floating member needs a direction (outflow or inflow).")
            )
        if not member.floating_place:
            error(
                "floating_place", _("A floating member needs the place they went to or came from.")
            )
    elif member.floating_direction:
        error("status", _("Only a floating member has a floating direction."))
    if member.reported_on and not member.reported_to_id:
        error("reported_to", _("Name the community the member reported to."))
    if errors:
        raise ValidationError(errors)


def _check_probation(member: Any, today: dt.date, judge_full_on: bool, error: Any) -> None:
    """The one-year probation rules (see check_consistency), for a member under them."""
    mask = member.month_dates
    joined, full = member.joined_on, member.full_on
    joined_m = bool(mask & JOINED_BIT)
    if member.membership == Membership.PROBATIONARY:
        if full:
            error(
                "full_on",
                _(
                    "A probationary member has no date of becoming full: clear it, or set the "
                    "membership to full member."
                ),
            )
        elif dates.add_years(dates.latest(joined, joined_m), 2) < today:
            error(
                "membership",
                _(
                    "The probation year ended in %(date)s, more than a year ago (it can be "
                    "extended by a year at most): the member should have been made full or had "
                    "their probation ended. Correct the membership."
                )
                % {"date": _year_after(joined, mask)},
            )
    elif full:
        if full >= joined and full.year - joined.year < 2:
            ends = dates.add_years(joined, 1)
            if dates.before_by(full, bool(mask & FULL_BIT), ends, joined_m):
                error(
                    "full_on",
                    _(
                        "A member becomes full a year after joining at the earliest "
                        "(%(date)s): the probation lasts one year."
                    )
                    % {"date": _year_after(joined, mask)},
                )
    elif judge_full_on and dates.add_years(dates.latest(joined, joined_m), 1) < today:
        error(
            "full_on",
            _(
                "A full member needs the date they became full (the probation year ended in "
                "%(date)s)."
            )
            % {"date": _year_after(joined, mask)},
        )


def _year_after(joined: dt.date, mask: int) -> str:
    """The end of the probation year as the member's dates are shown (2011-07 for 2010-07)."""
    return dates.shown(dates.add_years(joined, 1), mask & JOINED_BIT, "joined_on")


def _apply_sensitive(member: Member, data: dict[str, Any]) -> None:
    try:
        if data.get("id_number"):
            sensitive.set_id_number(member, data["id_number"])
        if "phone" in data:
            sensitive.set_phone(member, data.get("phone") or "")
    except ValidationError as exc:
        field = "id_number" if exc.code and exc.code.startswith("id_") else "phone"
        raise ValidationError({field: exc.messages}) from exc


def _stored_id_number(member: Member) -> str | None:
    """The registered ID number, None when it does not decrypt for this row (then the checks
    that read it are left out rather than the edit refused)."""
    try:
        return sealed.unseal(member, "id_cipher")
    except crypto.DecryptionError:
        return None


def _save(member: Member) -> None:
    try:
        with transaction.atomic():
            # A new member's id was taken in advance (sealed.ensure_pk): insert, do not update.
            member.save(force_insert=member._state.adding)
    except IntegrityError as exc:
        raise ValidationError(
            {"id_number": [_("A member with this ID number is already registered in the zone.")]}
        ) from exc


def _history(actor: Actor, member: Member, action: str, fields: dict) -> None:
    MemberChange.objects.create(
        member=member, user=actor.user, username=actor.username, action=action, fields=fields
    )
    record(actor, f"member.{action}", member, detail=fields)


def transfer_needed() -> str:
    return _(
        "A member's relationship moves to an organization outside your own, or out of your "
        "area, only through a relationship transfer (组织关系转接): open one from the member's "
        "page."
    )


def check_move(actor: Actor, held: Any, new: Any) -> None:
    """An edit moves a member's relationship (from organization `held` to `new`) only between
    organizations inside the editor's organization subtree, never from or to the directory
    outside the zone: any other move crosses the editor's boundary, and that is a relationship
    transfer. The import's update rows follow the same rule (imports.validate)."""
    if actor.user is None:
        return
    scope = actor.user.scope()
    if any(org.is_external or not scope.covers_org(org.path) for org in (held, new)):
        raise ValidationError({"org": [transfer_needed()]})


def _check_stays_visible(actor: Actor, member: Member, message: str) -> None:
    """After the save the acting user still sees the member (Member.scope_q, asked of the
    database in their own scope): a member cannot vanish from every scope by a form."""
    if actor.user is None:
        return
    with activate(actor.user.scope()):
        if not Member.objects.filter(pk=member.pk).exists():
            raise ValidationError(message)


def unseen() -> str:
    return _(
        "Nobody in your area could see this member: choose an organization inside your area, "
        "or give a residence grid or a community reported to inside it."
    )


def _plain_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SENSITIVE_INPUTS}


def _with_birth_date(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the birth date the ID number holds, when it gives a number and no date:
    the form asks for no birth date (its day is part of the number, shown only with it)."""
    if data.get("id_number") and not data.get("birth_date"):
        born = idcard.birth_date(idcard.normalize(data["id_number"]))
        if born is not None:
            return {**data, "birth_date": born}
    return data


@transaction.atomic
def create_member(actor: Actor, data: dict[str, Any]) -> Member:
    require(actor.user, Right.EDIT_MEMBERS)
    data = _with_birth_date(data)
    member = Member(**_plain_fields(data))
    sealed.ensure_pk(member)  # its numbers are encrypted for its row
    _apply_sensitive(member, data)
    if not member.gender and data.get("id_number"):
        member.gender = idcard.gender(idcard.normalize(data["id_number"]))
    check_consistency(member, data.get("id_number"))
    member.full_clean(exclude=["id_cipher", "id_digest", "phone_cipher"], validate_unique=False)
    _save(member)
    _check_stays_visible(actor, member, unseen())
    _history(actor, member, "create", {"name": member.name, "org": str(member.org)})
    return member


@transaction.atomic
def update_member(
    actor: Actor, member: Member, data: dict[str, Any], expected_version: int
) -> Member:
    """Save `data` unless someone else saved since `expected_version` (then EditConflict).
    A change of organization stays inside the editor's subtree, and the member inside the
    editor's scope (check_move, _check_stays_visible): else a ValidationError that points to
    the relationship transfer."""
    require(actor.user, Right.EDIT_MEMBERS)
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    if current.version != expected_version or current.deleted_at is not None:
        raise EditConflict
    data = _with_birth_date(data)
    new_org = data.get("org")
    if new_org is not None and new_org.pk != current.org_id:
        check_move(actor, current.org, new_org)
    plain = _plain_fields(data)
    before = {name: getattr(current, name) for name in plain}
    old_masks = (current.id_mask, current.phone_mask)
    for name, value in plain.items():
        setattr(current, name, value)
        if name in dates.BITS and value != before[name]:
            # A date edited in the form is exact (a year-month came from an import).
            current.month_dates = dates.with_bit(current.month_dates, name, False)
    _apply_sensitive(current, data)
    check_consistency(current, data.get("id_number") or _stored_id_number(current))
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
    _check_stays_visible(actor, current, transfer_needed())
    if diff:
        _history(actor, current, "update", diff)
    return current


@transaction.atomic
def delete_member(actor: Actor, member: Member, reason: str) -> Member:
    """Soft delete with a reason; a district admin can restore it."""
    require(actor.user, Right.EDIT_MEMBERS)
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
    require(actor.user, Right.RESTORE_MEMBERS)
    current = Member.unscoped.select_for_update().get(pk=member.pk)
    if current.anonymized_at is not None:
        raise ValidationError(
            _(
                "This member was anonymized after the retention period: the record cannot be "
                "restored."
            )
        )
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
    current.month_dates = dates.with_bit(current.month_dates, "floating_since", False)
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
