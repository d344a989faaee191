"""Demo reminder letters: the article's 149 letters (发函督促), one sent to each outflow member.

Each of the demo's outflow records gets a letter from its outflow organization, numbered per
organization and year in the order the letters were dated, sent over the eight months before
the demo's day. Some were settled: the member checked in (a check-in the demo already holds, or
one at the inflow side), or the inflow side confirmed them (recorded on the floating record
too, as `confirm_inflow` would). Others are still waiting, some past the reply date, some of
those reminded once. Everything is written in bulk, with its timeline and counters.

A few members (LEFT_AGAIN) are due a letter right now, so that the letter flow can be tried at
once, and the article's figures still hold: their letter — one of the 149 — went out during an
earlier time away, which ended with a return registration (that settled the letter); they
have left again since, over LETTER_DUE_AFTER_DAYS ago, and the new outflow record has no
letter yet. So 149 outflow members, 149 letters sent, one to each of them, and 149 + 432 = 581
floating members: the earlier record has ended and counts nowhere but in their history.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.conf import settings

from heli.core.models import wipe
from heli.demo import places
from heli.demo.people import TODAY
from heli.letters.models import (
    CloseReason,
    LetterCounter,
    LetterEvent,
    LetterStatus,
    ReminderLetter,
)
from heli.letters.services import addressee_for, letter_number
from heli.members.choices import FloatingDirection
from heli.mobility.floating import document_for
from heli.mobility.models import (
    CheckIn,
    CheckInStatus,
    FloatingEvent,
    FloatingRecord,
    RecordStatus,
)

DEMO_USER = "demo"
SEED = "heli-demo-letters"  # its own generator: the other steps' randomness stays as it was
LEFT_AGAIN = 6  # members due a letter now; LEFT_AGAIN_IN_TOWN of them in the town admin's town
LEFT_AGAIN_IN_TOWN = 2


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=dt.UTC)


def _plan(record: FloatingRecord, check_in: tuple | None, rng: random.Random) -> dict:
    """Dates and outcome of one record's letter."""
    due = record.since + dt.timedelta(days=settings.LETTER_DUE_AFTER_DAYS)
    sent_on = min(TODAY, max(due, TODAY - dt.timedelta(days=rng.randrange(0, 240))))
    issued_on = max(due, sent_on - dt.timedelta(days=rng.randrange(0, 4)))
    plan = {"issued_on": issued_on, "sent_on": sent_on, "reminded_on": None, "closed": None}
    expected = sent_on + dt.timedelta(days=settings.LETTER_REPLY_DAYS)
    if check_in is not None and check_in[0] >= sent_on:
        day, station = check_in
        plan["closed"] = (day, CloseReason.CHECKED_IN, f"{station} {day.isoformat()}")
    elif rng.random() < 0.45:
        day = sent_on + dt.timedelta(days=rng.randrange(3, 45))
        if day <= TODAY:
            reason = rng.choice([CloseReason.CHECKED_IN, CloseReason.INFLOW_CONFIRMED])
            note = "已向流入地党组织报到" if reason == CloseReason.CHECKED_IN else ""
            plan["closed"] = (day, reason, note)
    if plan["closed"] is None and expected < TODAY and rng.random() < 0.5:
        plan["reminded_on"] = min(TODAY, expected + dt.timedelta(days=rng.randrange(1, 15)))
    return plan


def build_letters(zone) -> None:
    rng = random.Random(SEED)
    records = list(
        FloatingRecord.unscoped.filter(
            direction=FloatingDirection.OUT, status=RecordStatus.ACTIVE, outflow_org__isnull=False
        )
        .select_related("member", "outflow_org", "inflow_org")
        .order_by("pk")
    )
    # A check-in the demo holds for an outflow member (on a visit home) settles the letter.
    last_check_in: dict[int, tuple[dt.date, str]] = {}
    # Only a verified one: a self-reported check-in settles nothing (mobility.self_reports).
    check_ins = CheckIn.unscoped.filter(
        member_id__in=[r.member_id for r in records], status=CheckInStatus.VERIFIED
    )
    for member_id, day, station in check_ins.order_by("day", "pk").values_list(
        "member_id", "day", "station__name"
    ):
        last_check_in[member_id] = (day, station)
    plans = [(r, _plan(r, last_check_in.get(r.member_id), rng)) for r in records]
    # Its own generator too: the other letters stay as they were.
    again_rng = random.Random(f"{SEED}:left-again")
    again = _left_again(records, zone, again_rng)
    earlier = [_earlier_time_away(record, again_rng) for record in again]
    FloatingRecord.unscoped.bulk_create(earlier)
    FloatingEvent.objects.bulk_create(_earlier_events(earlier))
    plans = [(r, plan) for r, plan in plans if r not in again]
    plans += [(record, _settled_by_return(record, again_rng)) for record in earlier]
    plans.sort(key=lambda item: (item[1]["issued_on"], item[0].pk))
    serials: dict[tuple[int, int], int] = defaultdict(int)
    letters, confirmed = [], []
    for record, plan in plans:
        org, year = record.outflow_org, plan["issued_on"].year
        serials[(org.pk, year)] += 1
        serial = serials[(org.pk, year)]
        letter = ReminderLetter(
            record=record, member=record.member, issuing_org=org, year=year, serial=serial,
            number=letter_number(org, year, serial), addressee=addressee_for(record),
            status=LetterStatus.SENT, issued_on=plan["issued_on"],
            created_at=_at(plan["issued_on"], rng), sent_on=plan["sent_on"],
            expected_reply_on=plan["sent_on"] + dt.timedelta(days=settings.LETTER_REPLY_DAYS),
        )  # fmt: skip
        if plan["reminded_on"]:
            letter.reminder_count, letter.last_reminded_on = 1, plan["reminded_on"]
            letter.expected_reply_on = plan["reminded_on"] + dt.timedelta(
                days=settings.LETTER_REPLY_DAYS
            )
        if plan["closed"]:
            day, reason, note = plan["closed"]
            letter.status, letter.close_reason, letter.close_note = (
                LetterStatus.CLOSED,
                reason,
                note,
            )
            letter.closed_at = dt.datetime.combine(
                day, dt.time(rng.randrange(10, 18), rng.randrange(60)), tzinfo=dt.UTC
            )
            if reason == CloseReason.INFLOW_CONFIRMED:
                record.inflow_confirmed_at = letter.closed_at
                confirmed.append(record)
        letters.append(letter)
    ReminderLetter.unscoped.bulk_create(letters, batch_size=500)
    LetterEvent.objects.bulk_create(_events(letters), batch_size=1000)
    LetterCounter.objects.bulk_create(
        LetterCounter(org_id=org_id, year=year, last=last)
        for (org_id, year), last in sorted(serials.items())
    )
    FloatingRecord.unscoped.bulk_update(confirmed, ["inflow_confirmed_at"], batch_size=500)


def _left_again(records: list[FloatingRecord], zone, rng: random.Random) -> list[FloatingRecord]:
    """Outflow records of members who left this time between 40 and 250 days ago (room for an
    earlier time away before), some in the town admin's town, the rest anywhere."""
    town = zone.town_orgs[places.INDUSTRY_CHAIN_TOWN].path
    recent = [r for r in records if 40 <= (TODAY - r.since).days <= 250]
    chosen = [r for r in recent if r.outflow_org.path.startswith(town)][:LEFT_AGAIN_IN_TOWN]
    rest = [r for r in recent if r not in chosen]
    return chosen + rng.sample(rest, LEFT_AGAIN - len(chosen))


def _earlier_time_away(record: FloatingRecord, rng: random.Random) -> FloatingRecord:
    """The same member's earlier outflow to the same place, ended by a registered return a
    month or more before they left again."""
    ended_on = record.since - dt.timedelta(days=rng.randrange(30, 120))
    months = rng.choice([5, 8, 12])
    return FloatingRecord(
        member=record.member, direction=FloatingDirection.OUT, status=RecordStatus.RETURNED,
        outflow_org=record.outflow_org, industry_chain_id=record.industry_chain_id,
        place=record.place, since=ended_on - dt.timedelta(days=rng.randrange(150, 400)),
        ended_on=ended_on, expected_months=months, place_certain=True,
        document=document_for(months, True), flow_range=record.flow_range,
        reason=record.reason, occupation=record.occupation, grid=record.grid,
        last_contact_at=_at(ended_on, rng),
    )  # fmt: skip


def _earlier_events(records: list[FloatingRecord]) -> list[FloatingEvent]:
    events = []
    for record in records:
        left = dt.datetime.combine(record.since, dt.time(9), tzinfo=dt.UTC)
        back = dt.datetime.combine(record.ended_on, dt.time(16), tzinfo=dt.UTC)
        events += [
            FloatingEvent(record=record, kind="registered", username=DEMO_USER, at=left,
                          detail={"document": record.document}),
            FloatingEvent(record=record, kind="returned", username=DEMO_USER, at=back,
                          detail={"on": record.ended_on.isoformat()}),
        ]  # fmt: skip
    return events


def _settled_by_return(record: FloatingRecord, rng: random.Random) -> dict:
    """The letter of an earlier time away: sent once it was due, settled by the return."""
    due = record.since + dt.timedelta(days=settings.LETTER_DUE_AFTER_DAYS)
    sent_on = due + dt.timedelta(days=rng.randrange(0, 20))
    issued_on = max(due, sent_on - dt.timedelta(days=rng.randrange(0, 4)))
    closed = (record.ended_on, CloseReason.RETURNED, "")  # as the return receiver writes it
    return {"issued_on": issued_on, "sent_on": sent_on, "reminded_on": None, "closed": closed}


def _events(letters: list[ReminderLetter]) -> list[LetterEvent]:
    events = []
    for letter in letters:
        sent_at = dt.datetime.combine(letter.sent_on, dt.time(9), tzinfo=dt.UTC)
        rows = [
            (letter.created_at, "", LetterStatus.DRAFT, "issued", ""),
            (max(sent_at, letter.created_at), LetterStatus.DRAFT, LetterStatus.SENT, "sent",
             letter.sent_on.isoformat()),
        ]  # fmt: skip
        if letter.last_reminded_on:
            at = dt.datetime.combine(letter.last_reminded_on, dt.time(10), tzinfo=dt.UTC)
            rows.append((at, LetterStatus.SENT, LetterStatus.SENT, "reminded", ""))
        if letter.closed_at:
            kind = f"closed_{letter.close_reason}"
            rows.append(
                (letter.closed_at, LetterStatus.SENT, LetterStatus.CLOSED, kind, letter.close_note)
            )
        events += [
            LetterEvent(
                letter=letter,
                at=at,
                from_status=before,
                to_status=after,
                kind=kind,
                username=DEMO_USER,
                note=note,
            )
            for at, before, after, kind, note in rows
        ]
    return events


def clear_letters() -> None:
    wipe(LetterEvent)
    ReminderLetter.unscoped.all().delete()
    LetterCounter.objects.all().delete()
