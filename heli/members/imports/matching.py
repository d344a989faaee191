"""Rows whose ID number is already registered: the member each one updates, or why it cannot.

Before the rows are checked, the file's ID numbers are collected (one walk over the sheet,
which is parsed once) and looked up by their keyed digest, never in clear, in batches. A
number registered to a member the uploader can see (and not deleted) makes its row an update
of that member, whose stored values are loaded here for the comparison; a number of a deleted
member, or of a member outside the uploader's area, is a problem of the row (ID numbers are
unique in the whole zone). The stored version is kept too: the save refuses the whole file if
any of these members changed in between (optimistic locking).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection

from heli.core import crypto
from heli.members import idcard
from heli.members.imports.cells import text
from heli.members.imports.reader import Sheet
from heli.members.models import Member
from heli.members.sensitive import ID_PURPOSE

# (Row attribute, column key) of every value an import may change, in the template's order.
# The ID number is not among them: it is the key rows are matched by. The phone is compared
# through its digest (see changes.Planner).
COMPARED: tuple[tuple[str, str], ...] = (
    ("name", "name"), ("gender", "gender"), ("ethnicity", "ethnicity"),
    ("birth_date", "birth_date"), ("education", "education"), ("joined_on", "joined_on"),
    ("membership", "membership"), ("full_on", "full_on"), ("org_id", "org"),
    ("residence_grid_id", "residence_grid"), ("employer", "employer"),
    ("industry_chain_id", "industry_chain"), ("occupation", "occupation"),
    ("status", "status"), ("reported_to_id", "reported_to"), ("reported_on", "reported_on"),
    ("floating_direction", "floating_direction"), ("floating_place", "floating_place"),
    ("floating_since", "floating_since"), ("notes", "notes"),
)  # fmt: skip
LOADED = (
    "id", "version", "id_mask", "phone_digest", "phone_mask", "month_dates",
    *(a for a, _k in COMPARED),
)  # fmt: skip

DELETED = "deleted"
ELSEWHERE = "elsewhere"


@dataclass(slots=True)
class Current:
    """A registered member the uploader may update, as stored when the file was checked."""

    pk: int
    version: int
    id_mask: str
    phone_digest: str
    phone_mask: str
    values: tuple  # the COMPARED attributes, in that order
    month_dates: int = 0  # the stored dates known only to the month (heli.members.dates)

    @property
    def name(self) -> str:
        return self.values[0]

    def value(self, attribute: str) -> object:
        return self.values[POSITION[attribute]]


POSITION = {attribute: i for i, (attribute, _key) in enumerate(COMPARED)}


@dataclass
class Registry:
    """What the file's ID numbers match in the registry."""

    current: dict[str, Current] = field(default_factory=dict)  # ID digest → member to update
    taken: dict[str, str] = field(default_factory=dict)  # ID digest → DELETED or ELSEWHERE

    @classmethod
    def load(cls, digests: Iterable[str]) -> Registry:
        """Look the digests up: whole zone for what is taken (numbers are unique in it), the
        active scope for what may be updated."""
        registry = cls()
        for batch in batches(list(digests)):
            visible: list[int] = []
            rows = Member.unscoped.filter(id_digest__in=batch).values_list(
                "id", "id_digest", "deleted_at"
            )
            digest_of: dict[int, str] = {}
            for pk, digest, deleted_at in rows.order_by():
                if deleted_at is not None:
                    registry.taken[digest] = DELETED
                else:
                    digest_of[pk] = digest
                    visible.append(pk)
            seen = Member.objects.filter(pk__in=visible).values_list(*LOADED).order_by()
            for pk, version, id_mask, phone_digest, phone_mask, monthly, *values in seen:
                current = Current(
                    pk, version, id_mask, phone_digest, phone_mask, tuple(values), monthly
                )
                registry.current[digest_of.pop(pk)] = current
            for digest in digest_of.values():  # registered, but not in the uploader's area
                registry.taken[digest] = ELSEWHERE
        return registry


def batches(items: list) -> Iterator[list]:
    """`items` in slices small enough for one query's parameters."""
    size = max(100, (connection.features.max_query_params or 10_000) - 10)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def collect_ids(sheet: Sheet) -> dict[str, str]:
    """{ID number: digest} of the well-formed ID numbers of the file (the check validates
    them fully; a malformed one matches nobody anyway)."""
    at = sheet.positions["id_number"]
    found: dict[str, str] = {}
    for _number, cells in sheet.numbered():
        raw = cells[at]
        number = idcard.normalize(raw if type(raw) is str else text(raw))
        if number not in found and idcard.SHAPE.match(number):
            found[number] = crypto.digest(ID_PURPOSE, number)
    return found


def storable(value: object) -> object:
    """A value as the stage keeps it (marshal knows no dates)."""
    return value.isoformat() if isinstance(value, dt.date) else value
