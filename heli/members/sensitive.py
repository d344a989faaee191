"""ID numbers and phones of members: validation, encryption, digests, masking, revealing.

Pages and exports show `id_mask` / `phone_mask`. Showing a value in full needs the role's
VIEW_SENSITIVE right and writes an audit entry (`reveal`). Ciphertexts are bound to the
member's row (core.sealed): a new member takes its id first (sealed.ensure_pk).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from heli.accounts.roles import Right
from heli.audit.services import Actor, record
from heli.core import crypto, sealed
from heli.members import idcard, phones
from heli.members.models import Member

ID_PURPOSE = "id"
PHONE_PURPOSE = "phone"


@dataclass(frozen=True)
class Protected:
    """The stored form of one sensitive value: ciphertext, digest of the whole value, mask,
    and digest of its last four characters (search by 后四位)."""

    cipher: bytes
    digest: str
    mask: str
    tail: str


def tail_digest(purpose: str, number: str) -> str:
    """The digest of a number's last four characters. Its own purpose keeps it apart from
    whole-number digests; only the key holder can test a guess against it."""
    return crypto.digest(f"{purpose}_tail", number[-4:].upper())


def protect_id(number: str, pk: int) -> Protected:
    return Protected(
        sealed.seal(Member, "id_cipher", pk, number),
        crypto.digest(ID_PURPOSE, number),
        crypto.mask_id(number),
        tail_digest(ID_PURPOSE, number),
    )


def protect_phone(number: str, pk: int) -> Protected:
    return Protected(
        sealed.seal(Member, "phone_cipher", pk, number),
        crypto.digest(PHONE_PURPOSE, number),
        crypto.mask_phone(number),
        tail_digest(PHONE_PURPOSE, number),
    )


def apply_id(member: Member, stored: Protected) -> None:
    member.id_cipher, member.id_digest = stored.cipher, stored.digest
    member.id_mask, member.id_tail_digest = stored.mask, stored.tail


def apply_phone(member: Member, stored: Protected | None) -> None:
    if stored is None:
        member.phone_cipher, member.phone_digest = None, ""
        member.phone_mask, member.phone_tail_digest = "", ""
        return
    member.phone_cipher, member.phone_digest = stored.cipher, stored.digest
    member.phone_mask, member.phone_tail_digest = stored.mask, stored.tail


def set_id_number(member: Member, raw: str) -> None:
    apply_id(member, protect_id(idcard.validate(raw), member.pk))


def set_phone(member: Member, raw: str) -> None:
    apply_phone(member, protect_phone(phones.validate(raw), member.pk) if raw else None)


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
    """The full ID number and phone, for a user with the right; audited every time. A value
    that does not decrypt for this row shows as unreadable (sealed.readable)."""
    values = {
        "id_number": sealed.readable(member, "id_cipher"),
        "phone": sealed.readable(member, "phone_cipher") if member.phone_cipher else "",
    }
    record(actor, "member.reveal", member, detail={"fields": ["id_number", "phone"]})
    return values
