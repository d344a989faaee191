"""ID numbers and phones of members: validation, encryption, digests, masking, revealing.

Pages and exports show `id_mask` / `phone_mask`. Showing a value in full needs the role's
VIEW_SENSITIVE right and writes an audit entry (`reveal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from heli.accounts.roles import Right
from heli.audit.services import Actor, record
from heli.core import crypto
from heli.members import idcard, phones
from heli.members.models import Member

ID_PURPOSE = "id"
PHONE_PURPOSE = "phone"


@dataclass(frozen=True)
class Protected:
    """The stored form of one sensitive value."""

    cipher: bytes
    digest: str
    mask: str


def protect_id(number: str) -> Protected:
    return Protected(
        crypto.encrypt(number), crypto.digest(ID_PURPOSE, number), crypto.mask_id(number)
    )


def protect_phone(number: str) -> Protected:
    return Protected(
        crypto.encrypt(number), crypto.digest(PHONE_PURPOSE, number), crypto.mask_phone(number)
    )


def set_id_number(member: Member, raw: str) -> None:
    number = idcard.validate(raw)
    stored = protect_id(number)
    member.id_cipher, member.id_digest, member.id_mask = stored.cipher, stored.digest, stored.mask


def set_phone(member: Member, raw: str) -> None:
    if not raw:
        member.phone_cipher, member.phone_digest, member.phone_mask = None, "", ""
        return
    stored = protect_phone(phones.validate(raw))
    member.phone_cipher = stored.cipher
    member.phone_digest, member.phone_mask = stored.digest, stored.mask


def id_digest_of(raw: str) -> str | None:
    """The digest to search by, or None when the input is not a valid ID number."""
    try:
        return crypto.digest(ID_PURPOSE, idcard.validate(raw))
    except ValidationError:
        return None


def phone_digest_of(raw: str) -> str | None:
    try:
        return crypto.digest(PHONE_PURPOSE, phones.validate(raw))
    except ValidationError:
        return None


def can_reveal(user) -> bool:
    return user.can(Right.VIEW_SENSITIVE)


def reveal(actor: Actor, member: Member) -> dict[str, str]:
    """The full ID number and phone, for a user with the right; audited every time."""
    values = {
        "id_number": crypto.decrypt(member.id_cipher),
        "phone": crypto.decrypt(member.phone_cipher) if member.phone_cipher else "",
    }
    record(actor, "member.reveal", member, detail={"fields": ["id_number", "phone"]})
    return values
