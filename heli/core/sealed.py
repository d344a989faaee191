"""Encrypted columns bound to their rows: every ciphertext of personal data is written for
its table, column and primary key (`crypto.associated`), so the primary key is taken before
the value is encrypted (`ids.allocate_ids` / `ensure_pk`).

`FIELDS` lists every encrypted column of the project (a test fails on a BinaryField missing
here); `heli keys rotate` re-encrypts exactly these.
"""

from __future__ import annotations

import logging
from functools import cache

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from heli.core import crypto
from heli.core.ids import allocate_ids

log = logging.getLogger(__name__)

# (app_label.Model, attname) of every encrypted column.
FIELDS: tuple[tuple[str, str], ...] = (
    ("members.Member", "id_cipher"),
    ("members.Member", "phone_cipher"),
    ("mobility.PendingCheckIn", "identity_cipher"),
    ("mobility.FloatingRecord", "contact_phone_cipher"),
    ("campaigns.CampaignTask", "new_phone_cipher"),
)


def fields() -> list[tuple[type[models.Model], str]]:
    return [(apps.get_model(label), attname) for label, attname in FIELDS]


def place(model: type[models.Model], attname: str, pk: int) -> bytes:
    """The associated data of `attname` in the row `pk` of `model`'s table (crypto.associated;
    the table and column looked up once: an import builds 200,000 of these)."""
    return _column_place(model, attname) + b"%d" % pk


@cache
def _column_place(model: type[models.Model], attname: str) -> bytes:
    return crypto.associated(model._meta.db_table, model._meta.get_field(attname).column, 0)[:-1]


def seal(model: type[models.Model], attname: str, pk: int, text: str) -> bytes:
    if pk is None:
        raise ValueError(f"{model.__name__}.{attname}: the row needs its id before encrypting")
    return crypto.encrypt(text, place(model, attname, pk))


def unseal(obj: models.Model, attname: str) -> str:
    """The text of `obj`'s encrypted `attname` (DecryptionError when it is not this row's)."""
    return crypto.decrypt(getattr(obj, attname), place(type(obj), attname, obj.pk))


def readable(obj: models.Model, attname: str) -> str:
    """For pages and exports: the text, or a mark that it cannot be read (a value moved from
    another row, altered, or under a key removed too early), logged, never an error page."""
    try:
        return unseal(obj, attname)
    except crypto.DecryptionError:
        log.warning("%s %s: %s does not decrypt", type(obj).__name__, obj.pk, attname)
        return _("(unreadable)")


def readable_many(
    model: type[models.Model], attname: str, rows: list[tuple[int, bytes | None]]
) -> list[str]:
    """`readable` for a batch of (pk, ciphertext) of one column (an export's chunk): the
    column's place worked out once; "" for an empty value."""
    head = _column_place(model, attname)
    texts = []
    for pk, blob in rows:
        if not blob:
            texts.append("")
            continue
        try:
            texts.append(crypto.decrypt(blob, head + b"%d" % pk))
        except crypto.DecryptionError:
            log.warning("%s %s: %s does not decrypt", model.__name__, pk, attname)
            texts.append(_("(unreadable)"))
    return texts


def ensure_pk(obj: models.Model) -> int:
    """Give a new row its id now (see ids.allocate_ids), so that its values can be sealed;
    it is then saved with force_insert."""
    if obj.pk is None:
        obj.pk = allocate_ids(type(obj), 1)[0]
    return obj.pk
