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
from heli.members.imports.columns import EXAMPLE_ID
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
        registry._take(registered(list(digests)))
        return registry

    def _take(self, rows: Iterable[tuple[int, str, dt.datetime | None]]) -> None:
        """Sort registered (id, digest, deleted_at) into deleted, updatable and elsewhere."""
        digest_of: dict[int, str] = {}
        for pk, digest, deleted_at in rows:
            if deleted_at is not None:
                self.taken[digest] = DELETED
            else:
                digest_of[pk] = digest
        for batch in batches(list(digest_of)):
            seen = Member.objects.filter(pk__in=batch).values_list(*LOADED).order_by()
            for pk, version, id_mask, phone_digest, phone_mask, monthly, *values in seen:
                current = Current(
                    pk, version, id_mask, phone_digest, phone_mask, tuple(values), monthly
                )
                self.current[digest_of.pop(pk)] = current
        for digest in digest_of.values():  # registered, but not in the uploader's area
            self.taken[digest] = ELSEWHERE


def registered(digests: list[str]) -> Iterator[tuple[int, str, dt.datetime | None]]:
    """(id, ID digest, deleted_at) of the members, in the whole zone and deleted ones
    included (ID numbers are unique in it), whose digest is among `digests`. A zone smaller
    than the file (a first import) is read whole in one query; a larger one is asked about
    the digests batch by batch."""
    if not digests:
        return
    members = Member.unscoped.order_by().values_list("id", "id_digest", "deleted_at")
    if members.count() <= 2 * len(digests):
        wanted = set(digests)
        yield from (row for row in members if row[1] in wanted)
        return
    for batch in batches(digests):
        yield from members.filter(id_digest__in=batch)


def batches(items: list) -> Iterator[list]:
    """`items` in slices small enough for one query's parameters."""
    size = max(100, (connection.features.max_query_params or 10_000) - 10)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class FileIds:
    """The well-formed ID numbers of a file: their digests, and the row each first appears
    in (a later row with the same number is a duplicate of that one)."""

    digests: dict[str, str] = field(default_factory=dict)  # {ID number: digest}
    first_row: dict[str, int] = field(default_factory=dict)  # {ID number: row number}


def collect_ids(sheet: Sheet) -> FileIds:
    """The file's well-formed ID numbers (the check validates them fully; a malformed one
    matches nobody anyway). A cell Excel stored as a number and the template's example row
    are left out, as the check leaves them out: neither is anybody's first row."""
    at = sheet.positions["id_number"]
    ids = FileIds()
    digests, first_row = ids.digests, ids.first_row
    for row, cells in sheet.numbered():
        raw = cells[at]
        if type(raw) is float or raw == EXAMPLE_ID:
            continue
        number = idcard.normalize(raw if type(raw) is str else text(raw))
        if number not in digests:
            if not idcard.SHAPE.match(number):
                continue
            digests[number] = crypto.digest(ID_PURPOSE, number)
            first_row[number] = row
    return ids


def storable(value: object) -> object:
    """A value as the stage keeps it (marshal knows no dates)."""
    return value.isoformat() if isinstance(value, dt.date) else value
