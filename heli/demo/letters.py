"""Demo reminder letters: the article's 149 letters (发函督促), one sent to each outflow member.

Each of the demo's outflow records gets a letter from its outflow organization, numbered per
organization and year in the order the letters were dated, sent over the eight months before
the demo's day. Some were settled: the member checked in (a check-in the demo already holds, or
one at the inflow side), or the inflow side confirmed them (recorded on the floating record
too, as `confirm_inflow` would). Others are still waiting, some past the reply date, some of
those reminded once. Everything is written in bulk, with its timeline and counters.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.conf import settings

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
from heli.mobility.models import CheckIn, FloatingRecord, RecordStatus

DEMO_USER = "demo"
SEED = "heli-demo-letters"  # its own generator: the other steps' randomness stays as it was


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
    check_ins = CheckIn.unscoped.filter(member_id__in=[r.member_id for r in records])
    for member_id, day, station in check_ins.order_by("day", "pk").values_list(
        "member_id", "day", "station__name"
    ):
        last_check_in[member_id] = (day, station)
    plans = [(r, _plan(r, last_check_in.get(r.member_id), rng)) for r in records]
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
    LetterEvent.objects.all().delete()
    ReminderLetter.unscoped.all().delete()
    LetterCounter.objects.all().delete()
