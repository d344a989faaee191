"""Writing valid rows: members and their history rows through the database's fastest path.

SQLite gets one `executemany` of one INSERT, PostgreSQL one `COPY ... FROM STDIN`, both on
the connection's own DB-API cursor inside the caller's transaction. The values are those the
ORM would store for `Member(...).save()`: ciphers as bytes, dates and timestamps adapted by the
backend's own `ops`, defaults of the model (version 1, not deleted), created = updated = now.
Primary keys come with the rows: they were taken when the rows were encrypted (a ciphertext is
bound to its row's id: core.sealed, core.ids), so the history rows name their member without
reading back.

Updates of registered members (the corrections of a re-imported export) go the same way: their
members are read through the scope and locked, checked against the version the check saw, and
written with one executemany per set of changed columns, each with its history row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.utils import timezone

from heli.core import crypto, seal, sealed
from heli.core.fastinsert import copy as _copy
from heli.core.fastinsert import executemany as _executemany
from heli.core.pinyin import initials
from heli.members.imports.matching import batches
from heli.members.imports.validate import Row
from heli.members.models import Member, MemberChange
from heli.members.sensitive import ID_PURPOSE, PHONE_PURPOSE, tail_digest

# The order of the values below; `check_fields` fails loudly when the model gains a field
# the writer does not fill (a silent default would differ from the ORM's).
MEMBER_FIELDS = (
    "id", "name", "gender", "ethnicity", "birth_date", "id_cipher", "id_digest", "id_mask",
    "id_tail_digest", "phone_cipher", "phone_digest", "phone_mask", "phone_tail_digest",
    "education", "joined_on", "membership", "full_on", "month_dates",
    "org_id", "residence_grid_id", "employer", "industry_chain_id", "occupation",
    "status", "reported_to_id", "reported_on", "floating_direction", "floating_place",
    "floating_since", "floating_until", "notes", "version", "deleted_at", "deleted_reason",
    "deleted_by_id", "anonymized_at", "name_initials", "created_at", "updated_at",
)  # fmt: skip
CHANGE_FIELDS = ("member_id", "at", "user_id", "username", "action", "fields", "seal")


def check_fields() -> None:
    for model, fields in ((Member, MEMBER_FIELDS), (MemberChange, CHANGE_FIELDS)):
        actual = {f.attname for f in model._meta.concrete_fields}
        expected = set(fields) | ({"id"} if model is MemberChange else set())
        if actual != expected:
            raise RuntimeError(
                f"the import writer does not match {model.__name__}: "
                f"missing {sorted(actual - expected)}, unknown {sorted(expected - actual)}"
            )


# prepare() gives every member value but the two timestamps, in this order.
PREPARED_FIELDS = MEMBER_FIELDS[:-2]
DIGEST_AT = PREPARED_FIELDS.index("id_digest")


def _iso(value: dt.date | None) -> str | None:
    # The text both databases take for a date: what the ORM stores on SQLite, and what COPY
    # parses on PostgreSQL.
    return value.isoformat() if value is not None else None


@lru_cache(maxsize=65536)
def _tail(purpose: str, tail: str) -> str:
    """tail_digest of a number's last four characters: a 100,000-row file has some ten
    thousand distinct ones, each digested once (forgotten when the digest key changes)."""
    return tail_digest(purpose, tail)


@receiver(setting_changed)
def _forget_tails(*, setting: str, **kwargs: object) -> None:
    if setting == "FIELD_DIGEST_KEY":
        _tail.cache_clear()


def prepare(row: Row, pk: int) -> tuple:
    """Encrypt for the row `pk`, digest and mask one valid row (its ID digest came with the
    check), as sensitive.protect_id and protect_phone do."""
    number, phone = row.id_number, row.phone
    return (
        pk, row.name, row.gender, row.ethnicity, _iso(row.birth_date),
        crypto.encrypt(number, sealed.place(Member, "id_cipher", pk)),
        row.id_digest, crypto.mask_id(number), _tail(ID_PURPOSE, number[-4:]),
        crypto.encrypt(phone, sealed.place(Member, "phone_cipher", pk)) if phone else None,
        crypto.digest(PHONE_PURPOSE, phone) if phone else "",
        crypto.mask_phone(phone) if phone else "",
        _tail(PHONE_PURPOSE, phone[-4:]) if phone else "", row.education,
        _iso(row.joined_on), row.membership, _iso(row.full_on), row.month_dates, row.org_id,
        row.residence_grid_id, row.employer, row.industry_chain_id, row.occupation, row.status,
        row.reported_to_id, _iso(row.reported_on), row.floating_direction, row.floating_place,
        _iso(row.floating_since), None, row.notes, 1, None, "", None, None,
        initials(row.name)[: Member.INITIALS_LENGTH],
    )  # fmt: skip


class Prepared:
    """New members' rows and their history rows, built before the transaction that inserts
    them (on SQLite it holds the write lock: the less done inside, the less others wait).
    Everything is ready, the ids too (taken when the values were encrypted).
    created = updated = when they were prepared."""

    def __init__(
        self,
        records: Iterable[tuple],
        *,
        user_id: int | None,
        username: str,
        job_id: str,
        action: str = "import",
    ):
        check_fields()
        now = timezone.now()
        # The ORM's own adaptation, once: naive UTC text on SQLite, an aware datetime for COPY.
        stamp = (
            connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
        )
        fields_value = MemberChange._meta.get_field("fields").get_db_prep_value(
            {"job": job_id}, connection
        )
        self.members = [(*record[1:], stamp, stamp) for record in records]
        # Every history row is the same but for its member: (at, user, username, action, fields)
        # and its seal, made from the one part they share and the member's id.
        self.change = (stamp, user_id, username, action, fields_value)
        alike = MemberChange(
            at=now, user_id=user_id, username=username, action=action, fields={"job": job_id}
        )
        self.seal = seal.sealer(MemberChange._meta.label_lower, seal.content(alike), "member_id")

    def write(self) -> int:
        """Insert the members and their history rows inside the caller's transaction: a
        failure anywhere leaves no row behind."""
        if not self.members:
            return 0
        connection.ensure_connection()
        with connection.wrap_database_errors:
            ids = [member[0] for member in self.members]
            insert = _copy if connection.vendor == "postgresql" else _executemany
            insert(Member, MEMBER_FIELDS, self.members)
            _insert_changes(ids, self.change, self.seal)
        return len(self.members)


def _insert_changes(ids: list[int], change: tuple, sealed: Callable[[int], str]) -> None:
    """One history row per member id, all alike but for the member and the seal, which
    covers the member's id: a row each, sealed here as it is sent."""
    insert = _copy if connection.vendor == "postgresql" else _executemany
    insert(MemberChange, CHANGE_FIELDS, ((pk, *change, sealed(pk)) for pk in ids))


def write(
    records: Iterable[tuple],
    *,
    user_id: int | None,
    username: str,
    job_id: str,
    action: str = "import",
) -> int:
    """Insert members from `records` ((row number, *prepared values)) and one history row
    each (`action`, {"job": id}), inside the caller's transaction."""
    prepared = Prepared(records, user_id=user_id, username=username, job_id=job_id, action=action)
    return prepared.write()


def prepared_values(member: Member) -> tuple:
    """The prepared values of an unsaved Member built in code (demo data), in `prepare`'s
    order, so that generated members take the same fast path as imported ones (which skips
    `save()`, where the name's initials are otherwise computed). The member has its id
    (sealed.ensure_pk or an IdPool) and its numbers encrypted for it."""
    member.name_initials = initials(member.name)[: Member.INITIALS_LENGTH]
    return tuple(
        _iso(value) if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else value
        for value in (getattr(member, name) for name in PREPARED_FIELDS)
    )


def write_members(members: list[Member], *, username: str, batch: str) -> int:
    """Insert Member instances built in code through `write` (history action 'generate')."""
    records = ((0, *prepared_values(member)) for member in members)
    return write(records, user_id=None, username=username, job_id=batch, action="generate")


def lock_members(updates: list[tuple]) -> list[tuple]:
    """Lock the members `updates` change, read through the active scope (not deleted), until
    the transaction ends (PostgreSQL; SQLite's write lock is held already). The updates whose
    member changed, was deleted or left the scope since the check."""
    versions: dict[int, int] = {}
    for batch in batches([update[1] for update in updates]):
        # of=self: the scope joins the nullable places, which FOR UPDATE cannot lock.
        locked = Member.objects.select_for_update(of=("self",)).filter(pk__in=batch)
        versions.update(locked.values_list("pk", "version").order_by())
    return [u for u in updates if versions.get(u[1]) != u[2]]


def update(updates: list[tuple], *, user_id: int | None, username: str) -> int:
    """Apply `updates` ((row, member id, version, ID mask, {attribute: value}, history)) to
    members locked and checked by `lock_members`, each with one history row as
    `services.update_member` writes it. One executemany per set of changed columns (a
    corrected export changes one or two columns of many members): bulk_update's CASE
    expressions cost far more to build than the update costs to run."""
    if not updates:
        return 0
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
    column = {f.attname: f.column for f in Member._meta.concrete_fields}
    quote = connection.ops.quote_name
    groups: dict[tuple[str, ...], list[tuple]] = {}
    for _row, pk, version, _mask, values, _history in updates:
        # Values come from the stage as the writer's other paths store them (dates as ISO
        # text, ciphers as bytes).
        fields = tuple(sorted(values))
        groups.setdefault(fields, []).append((*(values[f] for f in fields), version + 1, stamp, pk))
    json_field = MemberChange._meta.get_field("fields")
    history = (
        (pk, stamp, user_id, username, "update", json_field.get_db_prep_value(fields, connection),
         _seal_update(pk, now, user_id, username, fields))
        for _row, pk, _version, _mask, _values, fields in updates
    )  # fmt: skip
    with connection.cursor() as cursor:
        for fields, rows in groups.items():
            sets = ", ".join(f"{quote(column[f])} = %s" for f in (*fields, "version", "updated_at"))
            cursor.executemany(
                f"UPDATE {quote(Member._meta.db_table)} SET {sets} WHERE {quote('id')} = %s", rows
            )
    with connection.wrap_database_errors:
        insert = _copy if connection.vendor == "postgresql" else _executemany
        insert(MemberChange, CHANGE_FIELDS, history)
    return len(updates)


def _seal_update(pk: int, at: dt.datetime, user_id: int | None, username: str, fields: dict) -> str:
    """The seal of an update's history row, as MemberChange.save() would seal it."""
    row = MemberChange(
        member_id=pk, at=at, user_id=user_id, username=username, action="update", fields=fields
    )
    return seal.seal_of(row)
