"""Checking rows of a file with the registry's own rules.

The rules are those of the member form and services: ID numbers through `idcard.validate`,
phones through `phones`' pattern, cross-field rules through `services.check_consistency`
(called with the row itself, which has the attributes it reads). On top come what only a file
can get wrong: unknown or ambiguous names, dates in odd spellings, the same person twice, a
masked export, a member registered elsewhere.

A row whose ID number is registered to a member the uploader can see updates that member
(`matching`): columns the file does not have keep the stored values, and the rules are checked
on the merged record. Its organization and places keep the stored ones when the cell names
them (even where the uploader could not name them: `HeldNodes`).

This is the hot path of an import: no ORM and no translation per valid row, names resolved
once per file, dates parsed once per distinct text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from heli.core import crypto, freetext
from heli.members import idcard, phones
from heli.members.choices import Membership, MemberStatus, Occupation
from heli.members.dates import BITS, same_month
from heli.members.imports.cells import DateReader, text, unquoted
from heli.members.imports.columns import BY_KEY, HEADER_OF, MAX_LENGTHS, allowed_text, choice_maps
from heli.members.imports.lookups import (
    LOOKUP_MESSAGES,
    UNKNOWN,
    HeldNodes,
    Lookups,
    NameIndex,
)
from heli.members.imports.matching import (
    COMPARED,
    DELETED,
    Current,
    FileIds,
    Registry,
    registered,
)
from heli.members.imports.problems import Problems, shown
from heli.members.sensitive import ID_PURPOSE
from heli.members.services import check_consistency, transfer_needed, unseen

# An ID number Excel turned into a number (3.20411E+17 in a CSV): its last digits are lost.
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
MASK_MARKS = ("*", "＊")


@dataclass(slots=True)
class Row:
    """One valid row in Member terms (also what `check_consistency` reads)."""

    number: int
    name: str = ""
    gender: str = ""
    ethnicity: str = ""
    birth_date: dt.date | None = None
    id_number: str = ""
    id_digest: str = ""
    phone: str = ""
    education: str = ""
    joined_on: dt.date | None = None
    membership: str = ""
    full_on: dt.date | None = None
    org_id: int | None = None
    residence_grid_id: int | None = None
    employer: str = ""
    industry_chain_id: int | None = None
    occupation: str = ""
    status: str = ""
    reported_to_id: int | None = None
    reported_on: dt.date | None = None
    floating_direction: str = ""
    floating_place: str = ""
    floating_since: dt.date | None = None
    notes: str = ""
    member: Current | None = None  # the registered member this row updates
    month_dates: int = 0  # dates known only to the month (heli.members.dates)


# Columns in the order __call__ unpacks them: text columns, then date columns.
TEXT_KEYS = (
    "name", "gender", "ethnicity", "id_number", "phone", "education", "membership", "org",
    "residence_grid", "employer", "industry_chain", "occupation", "status", "reported_to",
    "floating_direction", "floating_place", "notes",
)  # fmt: skip
DATE_KEYS = ("birth_date", "joined_on", "full_on", "reported_on", "floating_since")
CHOICE_KEYS = (
    "gender", "ethnicity", "education", "membership", "occupation", "status",
    "floating_direction",
)  # fmt: skip
# What an empty optional choice cell means (the model's defaults; plain str, as staged rows
# hold only marshal's types).
CHOICE_DEFAULTS = {
    "gender": "",
    "membership": Membership.FULL.value,
    "occupation": Occupation.OTHER.value,
    "status": MemberStatus.NORMAL.value,
    "floating_direction": "",
}
NOT_SEEN = -3
BIRTH_BIT = BITS["birth_date"]
DELETED_MESSAGE = gettext_noop(
    "A member with this ID number was deleted from the registry. Ask the district to restore "
    "that record instead of importing it again."
)
HELD_ATTRIBUTE = {
    "org": "org_id",
    "residence_grid": "residence_grid_id",
    "industry_chain": "industry_chain_id",
    "reported_to": "reported_to_id",
}


class RowValidator:
    """Call it with (row number, cells) for every row. Rows of registered members come back
    with `member` set: whether they change anything is `changes.Planner`'s business.

    `__call__` is written for the valid row: each cell is tested with one dict lookup or
    comparison, and only a cell that fails it goes through the slower `_…_problem` methods,
    which tell a blank optional cell from a real problem and record it.
    """

    def __init__(
        self,
        positions: dict[str, int],
        lookups: Lookups,
        problems: Problems,
        registry: Registry | None = None,
        ids: FileIds | None = None,
    ):
        # A column missing from the file points at index -1: the empty cell __call__ appends.
        self.index_of = {key: positions.get(key, -1) for key in BY_KEY}
        self.registry = registry or Registry()
        ids = ids or FileIds()
        self.digest_of = ids.digests  # {ID number: digest}, from matching.collect_ids
        # {ID number: its first row}: the whole file's, so that a part of the file checked
        # on its own (pipeline) still finds a duplicate of a row outside it.
        self.first_row_of = ids.first_row
        self.held = HeldNodes()
        # What an update row keeps from the stored record: the columns the file lacks.
        self.kept = tuple((i, a) for i, (a, key) in enumerate(COMPARED) if key not in positions)
        self.present = frozenset(positions)
        self.text_at = tuple(self.index_of[key] for key in TEXT_KEYS)
        self.date_at = tuple(self.index_of[key] for key in DATE_KEYS)
        self.id_at = self.index_of["id_number"]
        self.date_plan = tuple((key, self.index_of[key], BY_KEY[key].required) for key in DATE_KEYS)
        self.month_plan = tuple((BITS[key], self.index_of[key]) for key in DATE_KEYS)
        # The month-only bits an update row keeps from the stored record (columns not in file).
        self.kept_bits = sum(BITS[key] for key in DATE_KEYS if key not in positions)
        self.judge_full_on = "full_on" in positions
        self.lookups = lookups
        self.indexes = lookups.indexes()
        self.problems = problems
        self.dates = DateReader()
        self.choices = {
            key: {**accepted, **({"": CHOICE_DEFAULTS[key]} if key in CHOICE_DEFAULTS else {})}
            for key, accepted in choice_maps().items()
        }
        self.choice_plan = tuple((key, self.choices[key]) for key in CHOICE_KEYS)
        self.ids = {key: {"": None} for key in ("residence_grid", "industry_chain", "reported_to")}
        self.ids["org"] = {}
        self.today = timezone.localdate()  # the zone's day, not the server's
        self._bad: set[str] = set()  # columns of the current row that already have a problem
        self._masked = False  # the current row's ID number is masked

    # The slow path: blank optional cells, and problems -------------------------------------

    def _problem(self, number: int, key: str, value: str, message: str) -> None:
        self._bad.add(key)
        self.problems.add(number, HEADER_OF[key], shown(key, value), message)

    def _missing(self, number: int, key: str) -> None:
        self._problem(number, key, "", _("This column is required."))

    def _numbers_problem(self, number: int, employer: str, place: str, notes: str) -> None:
        """Free text holds no ID number or phone (heli.core.freetext)."""
        for key, value in (("employer", employer), ("floating_place", place), ("notes", notes)):
            if freetext.NUMBER.search(value):
                self._problem(number, key, value, freetext.refusal(value))

    def _text_problem(self, number: int, key: str, value: str) -> str:
        if not value:
            if BY_KEY[key].required:
                self._missing(number, key)
        elif len(value) > MAX_LENGTHS.get(key, len(value)):
            self._problem(
                number,
                key,
                value,
                _("At most %(max)d characters; this has %(n)d.")
                % {"max": MAX_LENGTHS[key], "n": len(value)},
            )
        return value

    def _choice_problem(self, number: int, key: str, value: str) -> str:
        code = self.choices[key].get(value.lower())
        if code is not None:
            return code
        if not value:
            self._missing(number, key)
        else:
            self._problem(
                number,
                key,
                value,
                _("“%(value)s” is not an allowed value; use %(allowed)s.")
                % {"value": value, "allowed": allowed_text(key)},
            )
        return CHOICE_DEFAULTS.get(key, "")

    def _date_problem(self, number: int, key: str, value: object) -> None:
        reason = self.dates.reason(value)
        if not reason:
            if BY_KEY[key].required:
                self._missing(number, key)
            return
        shown_text = text(value)
        self._problem(number, key, shown_text, _(reason) % {"value": shown_text})

    def _lookup(self, number: int, key: str, value: str, index: NameIndex) -> int | None:
        if not value:
            self._missing(number, key)  # only required columns get here blank
            return None
        pk = index.resolve(value)
        if pk >= 0:
            self.ids[key][value] = pk
            return pk
        unknown, ambiguous = LOOKUP_MESSAGES[key]
        message = _(unknown) if pk == UNKNOWN else _(ambiguous)
        self._problem(
            number, key, value, message % {"name": value, "example": index.example(value)}
        )
        return None

    def _id_number(self, number: int, value: str, raw: object) -> str:
        if not value:
            self._missing(number, "id_number")
            return ""
        # The usual cell, digits but maybe the last: no mask mark, no exponent.
        plain = value.isascii() and value[:-1].isdigit()
        if not plain and any(mark in value for mark in MASK_MARKS):
            self._masked = True
            self._problem(
                number,
                "id_number",
                value,
                _(
                    "This ID number is masked: the file is a masked export. To update members "
                    "from an export, export them with “Export in full” and import that file."
                ),
            )
            return ""
        if type(raw) is float or (not plain and SCIENTIFIC.fullmatch(value)):
            self._problem(
                number,
                "id_number",
                value,
                _(
                    "Excel stored this ID number as a number and lost its last digits. Format "
                    "the column as text and type the number again."
                ),
            )
            return ""
        try:
            return idcard.validate(value, today=self.today)
        except ValidationError as exc:
            self._problem(number, "id_number", idcard.normalize(value), exc.messages[0])
            return ""

    def _phone(self, number: int, value: str) -> str:
        if not value:
            return ""
        phone = phones.normalize(value)
        if phones.MOBILE.match(phone):
            return phone
        if self._masked and any(mark in phone for mark in MASK_MARKS):
            return ""  # a masked export: the ID number's problem says it once for the row
        # The phones module's own message, with the number masked as in the value column.
        self._problem(
            number,
            "phone",
            phone,
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 13–19).")
            % {"value": shown("phone", phone)},
        )
        return ""

    # The fast path ---------------------------------------------------------------------

    def __call__(self, number: int, cells: list) -> Row | None:
        """The row in Member terms when it is valid, else None (its problems are recorded).
        `cells` is the reader's fresh list: it gets an empty cell appended."""
        self._bad.clear()
        self._masked = False
        before = self.problems.count
        cells.append("")
        texts = [
            v.strip() if type(v) is str else text(v) for v in map(cells.__getitem__, self.text_at)
        ]
        if "'" in "".join(texts):  # rare (an exported formula-like value): one test a row
            texts = [unquoted(t) for t in texts]
        (
            name, gender, ethnicity, id_text, phone, education, membership, org, grid,
            employer, chain, occupation, status, reported_to, direction, place, notes,
        ) = texts  # fmt: skip
        id_number = self._id_number(number, id_text, cells[self.id_at])
        digest, member = self._registered(number, id_number) if id_number else ("", None)
        dates = [self.dates(cells[i]) for i in self.date_at]
        if None in dates:
            for (key, i, required), day in zip(self.date_plan, dates, strict=True):
                if day is None and (required or cells[i] != ""):
                    self._date_problem(number, key, cells[i])
        born, joined, full, reported, since = dates
        month_dates = 0
        if self.dates.monthly:  # the file has year-months: which of this row's are
            monthly = self.dates.monthly
            for bit, i in self.month_plan:
                if cells[i] in monthly:
                    month_dates |= bit
            if month_dates & BIRTH_BIT and id_number:
                # A year-month birth date that agrees with the ID number takes its exact day.
                exact = idcard.birth_date(id_number)
                if exact is not None and born is not None and same_month(exact, born):
                    born, month_dates = exact, month_dates & ~BIRTH_BIT

        if not name or len(name) > 50:
            name = self._text_problem(number, "name", name)
        if len(employer) > 150:
            employer = self._text_problem(number, "employer", employer)
        if len(place) > 150:
            place = self._text_problem(number, "floating_place", place)
        if (employer or place or notes) and freetext.NUMBER.search(f"{employer}\n{place}\n{notes}"):
            self._numbers_problem(number, employer, place, notes)

        codes = []
        values = (gender, ethnicity, education, membership, occupation, status, direction)
        for (key, accepted), value in zip(self.choice_plan, values, strict=True):
            code = accepted.get(value)
            codes.append(code if code is not None else self._choice_problem(number, key, value))
        gender, ethnicity, education, membership, occupation, status, direction = codes

        if member is None:
            ids = self.ids
            lookups = self.lookups
            if (org_id := ids["org"].get(org, NOT_SEEN)) == NOT_SEEN:
                org_id = self._lookup(number, "org", org, lookups.orgs)
            if (grid_id := ids["residence_grid"].get(grid, NOT_SEEN)) == NOT_SEEN:
                grid_id = self._lookup(number, "residence_grid", grid, lookups.grids)
            if (chain_id := ids["industry_chain"].get(chain, NOT_SEEN)) == NOT_SEEN:
                chain_id = self._lookup(number, "industry_chain", chain, lookups.chains)
            if (reported_id := ids["reported_to"].get(reported_to, NOT_SEEN)) == NOT_SEEN:
                reported_id = self._lookup(number, "reported_to", reported_to, lookups.communities)
        else:
            org_id = self._held(number, "org", org, member)
            held_org = member.value(HELD_ATTRIBUTE["org"])
            if org_id is not None and org_id != held_org:
                self._moved(number, org, held_org, org_id)
            grid_id = self._held(number, "residence_grid", grid, member)
            chain_id = self._held(number, "industry_chain", chain, member)
            reported_id = self._held(number, "reported_to", reported_to, member)

        if id_number and not gender:
            gender = idcard.gender(id_number)
        row = Row(
            number, name, gender, ethnicity, born, id_number, digest, self._phone(number, phone),
            education, joined, membership, full, org_id, grid_id, employer, chain_id,
            occupation, status, reported_id, reported, direction, place, since, notes, member,
            month_dates,
        )  # fmt: skip
        if member is not None:
            for i, attribute in self.kept:
                setattr(row, attribute, member.values[i])
            row.month_dates |= member.month_dates & self.kept_bits
        self._consistency(number, cells, row)
        if self.problems.count == before and not self._seen(row):
            self._unseen(number, org, row.org_id)
        return row if self.problems.count == before else None

    def _held(self, number: int, key: str, value: str, member: Current) -> int | None:
        """The node an update row names in column `key`: the member's own when the column is
        not in the file or the cell could mean it, else as for a new member."""
        held = member.value(HELD_ATTRIBUTE[key])
        if key not in self.present:
            return held
        if value and held is not None:
            index = self.indexes[key]
            if index.resolve(value) == held or self.held.could_mean(key, value, held):
                return held
        if (pk := self.ids[key].get(value, NOT_SEEN)) == NOT_SEEN:
            pk = self._lookup(number, key, value, self.indexes[key])
        return pk

    def _consistency(self, number: int, cells: list, row: Row) -> None:
        try:
            check_consistency(
                row, row.id_number or None, today=self.today, judge_full_on=self.judge_full_on
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key in self._bad:  # already explained by the cell's own problem
                    continue
                value = text(cells[self.index_of[key]])
                for message in messages:
                    self._problem(number, key, value, message)

    def _moved(self, number: int, org: str, held: object, org_id: int) -> None:
        """An update row moves a member only between organizations of the uploader's own
        subtree, as the member form does (members.services.check_move)."""
        own = self.lookups.own_orgs
        if held not in own or org_id not in own:
            self._problem(number, "org", org, transfer_needed())

    def _seen(self, row: Row) -> bool:
        """Whether the importer still sees the member after the row (Member.scope_q): through
        an organization of their subtree, or the grid or community in their area. A new
        member held outside the zone, or an update clearing the only place through which the
        importer saw the member, would leave nobody in the area able to see the record."""
        lookups = self.lookups
        return (
            row.org_id in lookups.own_orgs
            or row.residence_grid_id in lookups.own_places
            or row.reported_to_id in lookups.own_places
        )

    def _unseen(self, number: int, org: str, org_id: int | None) -> None:
        if org_id not in self.lookups.external_orgs:
            self._problem(number, "org", org, unseen())
            return
        self._problem(
            number,
            "org",
            org,
            _(
                "This organization is outside the zone: give the member's residence grid "
                "or the community they reported to, or nobody could see the record."
            ),
        )

    def _registered(self, number: int, id_number: str) -> tuple[str, Current | None]:
        """(ID digest, the member the row updates) for the first row of an ID number; a
        repeated number, a deleted member's or one outside the uploader's area is a problem."""
        first = self.first_row_of.setdefault(id_number, number)
        if first != number:
            message = _("The same ID number is in rows %(first)d and %(row)d.") % {
                "first": first,
                "row": number,
            }
            masked = shown("id_number", id_number)
            self.problems.add(first, HEADER_OF["id_number"], masked, message)
            self._problem(number, "id_number", id_number, message)
            return "", None
        digest = self.digest_of.get(id_number)
        if digest is None:  # not collected beforehand (a file checked in parts)
            digest = self.digest_of[id_number] = crypto.digest(ID_PURPOSE, id_number)
        member = self.registry.current.get(digest)
        if member is None and digest in self.registry.taken:
            if self.registry.taken[digest] == DELETED:
                message = _(DELETED_MESSAGE)
            else:
                # Which organization holds the member is not the uploader's to know.
                message = _(
                    "A member with this ID number is registered in another organization's "
                    "area: it cannot be added or changed from your file."
                )
            self._problem(number, "id_number", id_number, message)
        return digest, member


def report_taken(items: list[tuple[int, str, str]], problems: Problems) -> None:
    """Problems for the (row, ID digest, ID number or mask) already in the registry.

    ID numbers are unique in the whole zone, deleted records included, so this read ignores
    the scope (it tells only that a number is taken).
    """
    taken = {digest: deleted for _pk, digest, deleted in registered([d for _n, d, _s in items])}
    header = HEADER_OF["id_number"]
    for number, digest, id_number in items:
        if digest not in taken:
            continue
        if taken[digest] is None:
            message = _("A member with this ID number is already registered in the zone.")
        else:
            message = _(DELETED_MESSAGE)
        problems.add(number, header, shown("id_number", id_number), message)
