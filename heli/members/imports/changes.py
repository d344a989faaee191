"""What each valid row does: add a member, update one field by field, or nothing.

The rule for an update row (the template's 填写说明 and the import page say it too): every
column the file has replaces the stored value, so a cell emptied in Excel empties the field
(or sets the default a new member would get: 正式党员, 其他, 正常; gender from the ID number);
a column the file does not have leaves the field as it is. The ID number is the key rows are
matched by and never changes. A row that would change nothing is counted as unchanged and
not saved at all. A year-month (2023.05) in the month of a stored exact date (2023-05-12)
is no change: the exact date stays. Year-months are shown as 2023-05 (heli.members.dates).

For each update the planner keeps what the save needs (member, version checked, new values,
the history row in `services.update_member`'s shape) and, for the page, up to CHANGE_LIMIT
field changes as people read them: the column, the old and the new value as the file writes
them (Chinese labels, names of organizations and places, masked phone numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from heli.core import crypto
from heli.core.pinyin import initials
from heli.members import dates
from heli.members.dates import BITS, same_month
from heli.members.imports.columns import CHOICE_CLASSES, HEADER_OF, zh_labels
from heli.members.imports.lookups import HeldNodes, Lookups
from heli.members.imports.matching import COMPARED, Current, storable
from heli.members.imports.problems import shown
from heli.members.imports.validate import HELD_ATTRIBUTE, Row
from heli.members.models import Member
from heli.members.sensitive import PHONE_PURPOSE, protect_phone

CHANGE_LIMIT = 1000  # field changes kept for the page; all are counted
# The rule above, for people: the template's 填写说明 and the import pages say it.
UPDATE_RULE = gettext_lazy(
    "A row whose ID number is already registered in your area updates that member: each "
    "column of the file replaces the stored value, and an empty cell empties it (an empty "
    "党员类别, 职业类别 or 党员状态 means 正式党员, 其他 or 正常; an empty 性别 is taken from the "
    "ID number). Columns that are not in the file leave the stored values as they are. The ID "
    "number itself is never changed by an import."
)
TEXT_KEYS = frozenset({"name", "employer", "floating_place", "notes"})
NO_PHONE = {"phone_cipher": None, "phone_digest": "", "phone_mask": "", "phone_tail_digest": ""}


@dataclass
class Plan:
    """The counts of a checked file and the first field changes, as the job keeps them."""

    new: int = 0
    updates: int = 0
    unchanged: int = 0
    change_count: int = 0
    # [row, member's name, masked ID number, column, old value, new value]
    changes: list[list] = field(default_factory=list)

    def merge(self, other: Plan) -> None:
        """Add what another part of the file would do (pipeline's parts)."""
        self.new += other.new
        self.updates += other.updates
        self.unchanged += other.unchanged
        self.change_count += other.change_count
        self.changes.extend(other.changes[: max(0, CHANGE_LIMIT - len(self.changes))])


def _same_text(old: str, new: str) -> bool:
    # The import trims cells; Excel and browsers differ in line ends (a note typed in the
    # form has \r\n). Neither is a change the user made.
    return old.replace("\r\n", "\n").strip() == new.replace("\r\n", "\n")


class Planner:
    """Call `add(row)` for a new member's row and `update(row)` for a registered member's;
    `update` gives the stage record of the update, or None when the row changes nothing."""

    def __init__(self, present: frozenset[str], lookups: Lookups, held: HeldNodes):
        self.compared = tuple(
            (i, attribute, key) for i, (attribute, key) in enumerate(COMPARED) if key in present
        )
        self.phone = "phone" in present
        self.lookups = lookups
        self.indexes = lookups.indexes()
        self.held = held
        self.labels = {key: dict(zh_labels(choices)) for key, choices in CHOICE_CLASSES.items()}
        self.plan = Plan()

    def add(self, row: Row) -> None:
        self.plan.new += 1

    def update(self, row: Row) -> tuple | None:
        member = row.member
        assert member is not None
        changed = []
        old_months = member.month_dates
        for i, attribute, key in self.compared:
            old, new = member.values[i], getattr(row, attribute)
            if key in BITS:
                new = self._month_only(row, key, old, new)
                if old != new or (old_months ^ row.month_dates) & BITS[key]:
                    changed.append((attribute, key, old, new))
            elif old != new and not (key in TEXT_KEYS and _same_text(old, new)):
                changed.append((attribute, key, old, new))
        phone = self._phone(row.phone, member) if self.phone else None
        if not changed and phone is None:
            self.plan.unchanged += 1
            return None
        self.plan.updates += 1
        values: dict[str, object] = {}
        history: dict[str, list] = {}
        months = row.month_dates
        if months != old_months:
            values["month_dates"] = months
        for attribute, key, old, new in changed:
            values[attribute] = storable(new)
            if key == "name":  # what Member.save() keeps beside the name, for the search
                values["name_initials"] = initials(new)[: Member.INITIALS_LENGTH]
            history[key] = [self._plain(key, old, old_months), self._plain(key, new, months)]
            old_text, new_text = self._text(key, old, old_months), self._text(key, new, months)
            self._show(row.number, member, key, old_text, new_text)
        if phone is not None:
            values |= phone
            # Phones appear in history and on the page only masked, as in update_member.
            history["phone"] = [member.phone_mask, phone["phone_mask"]]
            self._show(row.number, member, "phone", member.phone_mask, phone["phone_mask"])
        return (row.number, member.pk, member.version, member.id_mask, values, history)

    @staticmethod
    def _month_only(row: Row, key: str, old: dt.date | None, new: dt.date | None) -> object:
        """The date an update stores: a year-month in the month of the stored exact date
        says nothing new, so the stored date (and its exactness) stays."""
        bit = BITS[key]
        if (
            row.month_dates & bit
            and old is not None
            and new is not None
            and row.member is not None
            and not row.member.month_dates & bit
            and same_month(old, new)
        ):
            row.month_dates &= ~bit
            return old
        return new

    def _phone(self, phone: str, member: Current) -> dict | None:
        """The stored form of a changed phone (all empty for a cleared one), None if equal.
        Equal masks are confirmed through the digest; the number is never decrypted."""
        if not phone:
            return NO_PHONE if member.phone_digest else None
        if (
            crypto.mask_phone(phone) == member.phone_mask
            and crypto.digest(PHONE_PURPOSE, phone) == member.phone_digest
        ):
            return None
        stored = protect_phone(phone, member.pk)
        return {
            "phone_cipher": stored.cipher,
            "phone_digest": stored.digest,
            "phone_mask": stored.mask,
            "phone_tail_digest": stored.tail,
        }

    def _name(self, key: str, pk: int) -> str:
        return self.indexes[key].name_of(pk) or self.held.name(key, pk)

    def _plain(self, key: str, value: object, month_dates: int = 0) -> object:
        """A value as update_member's history keeps it: codes, ISO dates (year-months as
        2023-05), names of nodes."""
        if value is None:
            return None
        if key in HELD_ATTRIBUTE:
            return self._name(key, value)
        if key in BITS:
            return dates.shown(value, month_dates, key)
        return str(value)

    def _text(self, key: str, value: object, month_dates: int = 0) -> str:
        """A value as the file writes it, for the page (year-months as 2023-05)."""
        if value is None or value == "":
            return ""
        if key in HELD_ATTRIBUTE:
            return self._name(key, value)
        if key in self.labels:
            return self.labels[key].get(value, value)
        if key in BITS:
            return dates.shown(value, month_dates, key)
        return shown(key, value)

    def _show(self, number: int, member: Current, key: str, old: str, new: str) -> None:
        self.plan.change_count += 1
        if len(self.plan.changes) < CHANGE_LIMIT:
            row = [number, member.name, member.id_mask, HEADER_OF[key], old, new]
            self.plan.changes.append(row)
