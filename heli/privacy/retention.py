"""Anonymization of members past the retention period (PIPL art. 19 and 47).

A soft-deleted member (a duplicate, a member who died, left the zone or the Party: staff
delete them with the reason) is kept HELI_RETENTION_YEARS (30: the fixed term of documentary
records, within which a deletion is restored or looked into) after the deletion; then
`anonymize_due` replaces every personal field with a neutral value, irreversibly:

- the member: name, ID number and phone (ciphertext, digest, mask, tail digest), residence
  grid, community reported to, employer, floating place, notes and the reason for deletion;
  the birth date keeps only its year. Kept for statistics: gender, ethnicity, education,
  membership, the Party dates (joined, full, floating), status, organization and the deletion
  time. The ID digest becomes `anonymized-<id>`, so the number may be registered anew.
- what else holds their contact data: their floating records (address, contact there,
  contact phone, activity card, occupation), their sweep tasks (new address and phone, note),
  and pending check-ins made with their ID number or phone (name and identity).

Append-only history stays as written: the member's history rows (MemberChange), the events of
floating records, letters, transfers and tasks, and the audit log. They are the record of
what staff did, protected against change (and chained, #10 part 8), and hold numbers only as
masks, never a ciphertext or digest, so nothing there finds the person by a number; names and
addresses in them are kept for that record only (PIPL art. 47: storage and protection, no
other processing) — no page shows a deleted member's history.

Each batch is one transaction and one audit entry (`member.anonymize`: the count and the
members' ids); each member's history says it was anonymized.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.campaigns.models import CampaignTask
from heli.core import sealed
from heli.members import dates
from heli.members.models import Member, MemberChange
from heli.mobility.models import FloatingRecord, PendingCheckIn

# Stored, not shown through gettext: the registry's data are Chinese whatever the UI language.
ANONYMOUS_NAME = "（已匿名）"
BATCH = 500


def _years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def deleted_before(now: dt.datetime | None = None) -> dt.datetime | None:
    """Members deleted before this moment are past retention; None: retention is off (0)."""
    years = settings.HELI_RETENTION_YEARS
    if years <= 0:
        return None
    return _years_before(now or timezone.now(), years)


def due(now: dt.datetime | None = None) -> QuerySet[Member]:
    """Soft-deleted members past retention and not yet anonymized (the whole zone)."""
    limit = deleted_before(now)
    if limit is None:
        return Member.unscoped.none()
    return Member.unscoped.filter(deleted_at__lt=limit, anonymized_at__isnull=True).order_by("pk")


def _neutral(member: Member, now: dt.datetime) -> None:
    member.name = ANONYMOUS_NAME
    # An empty text sealed to the row: the column stays readable (key rotation rewrites it
    # like any other) and holds nothing.
    member.id_cipher = sealed.seal(Member, "id_cipher", member.pk, "")
    member.id_digest = f"anonymized-{member.pk}"
    member.id_mask = member.id_tail_digest = ""
    member.phone_cipher = None
    member.phone_digest = member.phone_mask = member.phone_tail_digest = ""
    member.birth_date = dt.date(member.birth_date.year, 1, 1)
    member.month_dates = dates.with_bit(member.month_dates, "birth_date", False)
    member.residence_grid = member.reported_to = None
    member.reported_on = None
    member.employer = member.floating_place = member.notes = member.deleted_reason = ""
    member.anonymized_at = now
    member.version += 1


def _contact_data(members: list[Member], digests: set[str]) -> None:
    """Clear what the member's other records hold to reach them."""
    FloatingRecord.unscoped.filter(member__in=members).update(
        address="", other_contact="", contact_phone_cipher=None, contact_phone_mask="",
        card_number="", occupation="",
    )  # fmt: skip
    CampaignTask.unscoped.filter(member__in=members).update(
        new_address="", new_phone_cipher=None, new_phone_mask="", note=""
    )
    for pending in PendingCheckIn.unscoped.filter(identity_digest__in=digests):
        pending.name = ANONYMOUS_NAME
        pending.identity_cipher = sealed.seal(PendingCheckIn, "identity_cipher", pending.pk, "")
        pending.identity_digest, pending.identity_mask = f"anonymized-{pending.pk}", ""
        pending.save(update_fields=["name", "identity_cipher", "identity_digest", "identity_mask"])


@transaction.atomic
def _anonymize_batch(actor: Actor, limit: dt.datetime, now: dt.datetime, size: int) -> int:
    batch = list(due(now).select_for_update()[:size])
    if not batch:
        return 0
    digests = {d for m in batch for d in (m.id_digest, m.phone_digest) if d}
    for member in batch:
        _neutral(member, now)
        member.save()
        MemberChange.objects.create(
            member=member, user=actor.user, username=actor.username, action="anonymized"
        )
    _contact_data(batch, digests)
    record(
        actor,
        "member.anonymize",
        detail={
            "count": len(batch),
            "members": [m.pk for m in batch],
            "years": settings.HELI_RETENTION_YEARS,
            "deleted_before": timezone.localtime(limit).date().isoformat(),
        },
    )
    return len(batch)


def anonymize_due(actor: Actor, *, now: dt.datetime | None = None, batch_size: int = BATCH) -> int:
    """Anonymize every member past retention, `batch_size` per transaction; returns how many.
    Only the system (the command) or a holder of RESTORE_MEMBERS (the district) does it."""
    require(actor.user, Right.RESTORE_MEMBERS)
    now = now or timezone.now()
    limit = deleted_before(now)
    if limit is None:
        return 0
    total = 0
    while done := _anonymize_batch(actor, limit, now, batch_size):
        total += done
    return total
