"""Member exports (ledgers and filtered lists), masked unless the caller asked and may see more.

An export is the import template filled in: the template's headers in its order (Chinese
whatever the page's language: a file format, as the template's), choice values as the
importer's Chinese labels, dates as dates (a date known only to the month as the text
2010-07, which imports back as that year-month), and each organization and place written as the
importer finds it again in the same area (qualified by a higher one when names repeat). So
“export in full, correct in Excel, import” updates the members it corrects and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.core import exportparts, freetext, sealed
from heli.core.exporters import Exporter
from heli.members.dates import BITS, month_text
from heli.members.imports.cells import quoted
from heli.members.imports.columns import CHOICE_CLASSES, COLUMNS, zh_labels
from heli.members.imports.lookups import Lookups
from heli.members.models import Member
from heli.orgs.models import PartyOrg, Region

TEXT_KEYS = ("name", "employer", "floating_place", "notes")
FREE_TEXT_KEYS = ("employer", "floating_place", "notes")


# The stored columns an export reads, as tuples: building a Member with its four related
# objects for each row cost more than everything else an export does.
READ_FIELDS = (
    "pk", "name", "gender", "ethnicity", "birth_date", "id_mask", "phone_mask", "education",
    "joined_on", "membership", "full_on", "month_dates", "org_id", "residence_grid_id",
    "employer", "industry_chain_id", "occupation", "status", "reported_to_id", "reported_on",
    "floating_direction", "floating_place", "floating_since", "notes",
)  # fmt: skip
CIPHER_FIELDS = ("id_cipher", "phone_cipher")
NODE_KEYS = ("org", "residence_grid", "industry_chain", "reported_to")
CHUNK = 2000  # rows read, and numbers decrypted, at a time


class MemberExporter(Exporter):
    filename = "members"

    def __init__(self, members: QuerySet, *, unmasked: bool = False, title: str = ""):
        self.members = members
        self.unmasked = unmasked
        self.sheet_name = title or _("Party members")

    def header(self) -> list[str]:
        return [column.header for column in COLUMNS]

    def part(self, start: int, stop: int) -> MemberExporter | None:
        if not exportparts.cuttable(self.members):
            return None
        part = MemberExporter(self.members[start:stop], unmasked=self.unmasked)
        part.sheet_name = self.sheet_name
        return part

    def count_rows(self) -> int:
        return self.members.count()

    def _tuples(self) -> Iterator[list[dict[str, Any]]]:
        """The rows as dicts, a chunk at a time (a server-side cursor on PostgreSQL; SQLite
        steps one statement), numbers decrypted for the chunk at once when in full."""
        fields = READ_FIELDS + (CIPHER_FIELDS if self.unmasked else ())
        chunk: list[dict[str, Any]] = []
        for values in self.members.values_list(*fields).iterator(chunk_size=CHUNK):
            chunk.append(dict(zip(fields, values, strict=True)))
            if len(chunk) == CHUNK:
                yield self._opened(chunk)
                chunk = []
        if chunk:
            yield self._opened(chunk)

    def _opened(self, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.unmasked:
            ids = sealed.readable_many(
                Member, "id_cipher", [(r["pk"], r["id_cipher"]) for r in chunk]
            )
            phones = sealed.readable_many(
                Member, "phone_cipher", [(r["pk"], r["phone_cipher"]) for r in chunk]
            )
            for row, id_number, phone in zip(chunk, ids, phones, strict=True):
                row["id_mask"], row["phone_mask"] = id_number, phone
        return chunk

    def rows(self) -> Iterator[list[Any]]:
        labels = {key: dict(zh_labels(choices)) for key, choices in CHOICE_CLASSES.items()}
        # Names as the importer resolves them in this same scope, each worked out once.
        lookups = Lookups.load()
        spelled: dict[tuple[str, int], str] = {}

        def spell(key: str, pk: int | None) -> str:
            if pk is None:
                return ""
            try:
                return spelled[key, pk]
            except KeyError:
                text = lookups.spelling(key, pk, "") or _node_name(key, pk)
                spelled[key, pk] = text
                return text

        order = [column.key for column in COLUMNS]
        masked = not self.unmasked
        for chunk in self._tuples():
            for m in chunk:
                values = {
                    "name": m["name"], "gender": m["gender"], "ethnicity": m["ethnicity"],
                    "birth_date": m["birth_date"], "id_number": m["id_mask"],
                    "phone": m["phone_mask"], "education": m["education"],
                    "joined_on": m["joined_on"], "membership": m["membership"],
                    "full_on": m["full_on"], "org": spell("org", m["org_id"]),
                    "residence_grid": spell("residence_grid", m["residence_grid_id"]),
                    "employer": m["employer"],
                    "industry_chain": spell("industry_chain", m["industry_chain_id"]),
                    "occupation": m["occupation"], "status": m["status"],
                    "reported_to": spell("reported_to", m["reported_to_id"]),
                    "reported_on": m["reported_on"],
                    "floating_direction": m["floating_direction"],
                    "floating_place": m["floating_place"],
                    "floating_since": m["floating_since"], "notes": m["notes"],
                }  # fmt: skip
                if m["month_dates"]:  # dates known only to the month: 2010-07, as text
                    for key, bit in BITS.items():
                        if m["month_dates"] & bit and values[key] is not None:
                            values[key] = month_text(values[key])
                if masked:  # the day of birth is the masked number's own
                    values["birth_date"] = month_text(m["birth_date"])
                    for key in FREE_TEXT_KEYS:
                        values[key] = freetext.mask(values[key])
                for key, by_code in labels.items():
                    values[key] = by_code.get(values[key], values[key])
                for key in TEXT_KEYS:
                    values[key] = quoted(values[key])
                yield [values[key] for key in order]


def _node_name(key: str, pk: int) -> str:
    """The name of an organization or place a member in scope holds outside the scope (the
    importer cannot name it here): read by id, as the member's own row names it."""
    model = PartyOrg if key in ("org", "industry_chain") else Region
    return model.unscoped.filter(pk=pk).values_list("name", flat=True).first() or ""


def export_xlsx(actor: Actor, members: QuerySet, *, unmasked: bool, title: str) -> bytes:
    """The members as .xlsx; every export is written to the audit log, masked or not."""
    body = MemberExporter(members, unmasked=unmasked, title=title).to_xlsx()
    record(
        actor,
        "member.export",
        detail={"title": title, "rows": members.count(), "unmasked": unmasked},
    )
    return body
