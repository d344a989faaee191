"""Personal data at rest: SM4-GCM encryption and keyed SM3 digests (HMAC-SM3).

Ciphertext layout: one version byte, a 12-byte random nonce, the ciphertext, the 16-byte tag.
The version names the key, so keys can be rotated later without re-encrypting everything at once.
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

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    pass


@cache
def _keys() -> tuple[algorithms.SM4, hmac.HMAC]:
    """The SM4 key and the HMAC-SM3 keyed once, not for every value (an import encrypts and
    digests 200,000), and read from settings once: each read of a setting costs as much as
    a digest's finalize. Forgotten when a test overrides either setting."""
    return (
        algorithms.SM4(settings.FIELD_ENCRYPTION_KEY),
        hmac.HMAC(settings.FIELD_DIGEST_KEY, hashes.SM3()),
    )


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting in ("FIELD_ENCRYPTION_KEY", "FIELD_DIGEST_KEY"):
        _keys.cache_clear()


def encrypt(text: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(_keys()[0], modes.GCM(nonce)).encryptor()
    body = encryptor.update(text.encode()) + encryptor.finalize()
    return VERSION + nonce + body + encryptor.tag


def decrypt(blob: bytes) -> str:
    blob = bytes(blob)
    if not blob or blob[:1] != VERSION:
        raise DecryptionError("unknown ciphertext version")
    nonce, body, tag = (
        blob[1 : 1 + NONCE_BYTES],
        blob[1 + NONCE_BYTES : -TAG_BYTES],
        blob[-TAG_BYTES:],
    )
    decryptor = Cipher(_keys()[0], modes.GCM(nonce, tag)).decryptor()
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except Exception as exc:  # InvalidTag: wrong key or tampered data
        raise DecryptionError("ciphertext does not authenticate") from exc


def digest(purpose: str, value: str) -> str:
    """Hex HMAC-SM3 of `purpose:value` (purpose keeps ID numbers and phones apart)."""
    mac = _keys()[1].copy()
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
