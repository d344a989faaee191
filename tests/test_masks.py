"""A mask is judged with everything else the same user sees: for every role, what it reads of
one member (page and history, list, masked export, audit log) must leave at least 10^4 ID
numbers possible (tests/reconstruct.py counts them)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.core.sealed import unseal
from heli.members import idcard, services
from tests import sheets
from tests.reconstruct import Seen, candidates, month_of, year_of

LEAST = 10_000
MASK = re.compile(r"[0-9Xx]{0,6}\*{6,}[0-9Xx]{0,6}")
ROLES_SEEING_TOWN_A = (
    "district_admin", "department_liaison", "auditor", "town_admin", "service_staff",
    "branch_secretary", "grid_worker", "audit_admin",  # the audit administrator: the log only
)  # fmt: skip


def _what_is_read(client, user, member) -> str:
    """Everything the user reads about `member` without an audited reveal."""
    texts = [
        client.get(reverse("control:member_detail", kwargs={"pk": member.pk})).content.decode(),
        client.get(reverse("control:member_list"), {"q": member.name}).content.decode(),
    ]
    export = client.get(reverse("control:member_export"), {"q": member.name})
    if export.status_code == 200:
        sheet = sheets.read(export)
        texts += [" ".join(str(cell) for cell in row) for row in sheet.rows]
    if user.can(Right.VIEW_AUDIT):
        texts.append(client.get(reverse("control:audit_log")).content.decode())
    return "\n".join(texts)


def _seen(text: str, number: str, born: dt.date) -> Seen:
    """What `text` shows of the number (the most telling mask in it) and of the birth date."""
    masks = [m.group() for m in MASK.finditer(text) if len(m.group()) == len(number)]
    masks = [m for m in masks if all(c in ("*", n) for c, n in zip(m, number, strict=True))]
    shown = max(masks, key=lambda m: len(m) - m.count("*"), default="*" * len(number))
    day_formats = (f"{born:%Y-%m-%d}", f"{born.year}年{born.month}月{born.day}日", f"{born:%Y%m%d}")
    if any(day in text for day in day_formats) or str(born) in text:
        days = (born,)
    elif f"{born:%Y-%m}" in text or f"{born.year}年{born.month}月" in text:
        days = month_of(born)
    else:
        days = year_of(born)
    return Seen(shown, days, idcard.gender(number))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_SEEING_TOWN_A)
def test_what_a_role_reads_of_a_member_leaves_ten_thousand_id_numbers(world, client, role):
    member = world.member_a
    number = unseal(member, "id_cipher")
    # History and audit entries that carry the number and the birth date, as real ones do.
    services.update_member(
        Actor(world.users["district_admin"]),
        member,
        {"id_number": number, "notes": "已核对身份证号"},
        member.version,
    )
    user = world.users[role]
    client.force_login(user)
    text = _what_is_read(client, user, member)
    assert number not in text
    seen = _seen(text, number, member.birth_date)
    assert candidates(seen) >= LEAST, (role, seen.shown, len(seen.birth_days))


def test_the_old_mask_and_a_birth_date_would_fail_the_rule():
    number = idcard.make("320404", dt.date(1985, 3, 12), 799)
    old = number[:4] + "*" * 10 + number[-4:]
    text = f"{old} 1985-03-12"
    assert candidates(_seen(text, number, dt.date(1985, 3, 12))) < LEAST
