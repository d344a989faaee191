"""Personal data at rest: SM4-GCM encryption and keyed SM3 digests (HMAC-SM3).

Ciphertext layout: one version byte, a 12-byte random nonce, the ciphertext, the 16-byte tag.
The version byte names the key (settings.FIELD_ENCRYPTION_KEYS, the current one first): new
values are written with the current key, older ones are read with theirs until `heli keys
rotate` has written them anew. Every ciphertext is bound to its place: the associated data is
the version byte, the table, the column and the row's primary key (`associated`), so a value
copied into another row or column no longer authenticates (DecryptionError), and neither does
one whose version byte was changed.
Digests are HMAC-SM3 over a purpose prefix and the normalized value: equal values give equal
digests (exact search, duplicate detection) and nobody without the key can test a guess.
"""

from __future__ import annotations

import os
from functools import cache

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    pass


@cache
def _keys() -> tuple[int, dict[int, algorithms.SM4], hmac.HMAC]:
    """The current key's version, every SM4 key by version and the HMAC-SM3, keyed once, not
    for every value (an import encrypts and digests 200,000), and read from settings once:
    each read of a setting costs as much as a digest's finalize. Forgotten when a test
    overrides either setting."""
    versions = settings.FIELD_ENCRYPTION_KEYS
    return (
        versions[0][0],
        {version: algorithms.SM4(key) for version, key in versions},
        hmac.HMAC(settings.FIELD_DIGEST_KEY, hashes.SM3()),
    )


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting in ("FIELD_ENCRYPTION_KEYS", "FIELD_DIGEST_KEY"):
        _keys.cache_clear()


def current_version() -> int:
    return _keys()[0]


def associated(table: str, column: str, pk: int) -> bytes:
    """Where a ciphertext lives: NUL cannot occur in a table or column name, so no two places
    give the same bytes."""
    return b"%s\x00%s\x00%d" % (table.encode(), column.encode(), pk)


def encrypt(text: str, where: bytes) -> bytes:
    """`text` under the current key, bound to `where` (`associated`)."""
    version, keys, _mac = _keys()
    head = bytes((version,))
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(keys[version], modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(head + where)
    body = encryptor.update(text.encode()) + encryptor.finalize()
    return head + nonce + body + encryptor.tag


def version_of(blob: bytes) -> int:
    return blob[0] if blob else 0


def decrypt(blob: bytes, where: bytes) -> str:
    """The text of a ciphertext written for `where`; DecryptionError when its key is unknown
    (removed after a rotation), or it was written for another place, or it was altered."""
    return _open(bytes(blob), where)


def decrypt_unbound(blob: bytes) -> str:
    """A value written before ciphertexts were bound to their place (version 1, no associated
    data). Only the migration that binds them reads this format (core 0004); nothing else
    accepts it, so after the migration a value without its place never decrypts."""
    return _open(bytes(blob), None)


def _open(blob: bytes, where: bytes | None) -> str:
    keys = _keys()[1]
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] not in keys:
        raise DecryptionError("unknown ciphertext version")
    nonce, body, tag = (
        blob[1 : 1 + NONCE_BYTES],
        blob[1 + NONCE_BYTES : -TAG_BYTES],
        blob[-TAG_BYTES:],
    )
    decryptor = Cipher(keys[blob[0]], modes.GCM(nonce, tag)).decryptor()
    if where is not None:
        decryptor.authenticate_additional_data(blob[:1] + where)
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except Exception as exc:  # InvalidTag: wrong key, another place, or tampered data
        raise DecryptionError("ciphertext does not authenticate") from exc


def digest(purpose: str, value: str) -> str:
    """Hex HMAC-SM3 of `purpose:value` (purpose keeps ID numbers and phones apart)."""
    mac = _keys()[2].copy()
    mac.update(f"{purpose}:{value}".encode())
    return mac.finalize().hex()


def mask_id(number: str) -> str:
    """The last two characters only. A page shows a person's birth month and gender beside
    the mask: with these the last two leave some 28,000 possible numbers, the last four only
    some 280 (the rule: at least 10^4; counted in tests/reconstruct.py)."""
    return "*" * (len(number) - 2) + number[-2:] if len(number) > 8 else "****"


def remask_id(mask: str) -> str:
    """An ID mask made before masks kept only the last two characters, made anew."""
    return "*" * (len(mask) - 2) + mask[-2:] if len(mask) > 8 else mask


def mask_phone(number: str) -> str:
    return number[:3] + "****" + number[-4:] if len(number) == 11 else "****"
