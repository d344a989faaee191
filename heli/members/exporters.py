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
from heli.core import freetext, sealed
from heli.core.exporters import Exporter
from heli.members.dates import BITS, member_date, month_text
from heli.members.imports.cells import quoted
from heli.members.imports.columns import CHOICE_CLASSES, COLUMNS, zh_labels
from heli.members.imports.lookups import Lookups

TEXT_KEYS = ("name", "employer", "floating_place", "notes")
FREE_TEXT_KEYS = ("employer", "floating_place", "notes")


class MemberExporter(Exporter):
    filename = "members"

    def __init__(self, members: QuerySet, *, unmasked: bool = False, title: str = ""):
        self.members = members.select_related(
            "org", "residence_grid", "reported_to", "industry_chain"
        )
        self.unmasked = unmasked
        self.sheet_name = title or _("Party members")

    def header(self) -> list[str]:
        return [column.header for column in COLUMNS]

    def _sensitive(self, member) -> tuple[str, str]:
        if not self.unmasked:
            return member.id_mask, member.phone_mask
        phone = sealed.readable(member, "phone_cipher") if member.phone_cipher else ""
        return sealed.readable(member, "id_cipher"), phone

    def rows(self) -> Iterator[list[Any]]:
        labels = {key: dict(zh_labels(choices)) for key, choices in CHOICE_CLASSES.items()}
        # Names as the importer resolves them in this same scope, each worked out once.
        lookups = Lookups.load()
        spelled: dict[tuple[str, int | None], str] = {}

        def spell(key: str, node) -> str:
            pk = node.pk if node is not None else None
            try:
                return spelled[key, pk]
            except KeyError:
                text = spelled[key, pk] = lookups.spelling(key, pk, node.name if node else "")
                return text

        for m in self.members.iterator(chunk_size=2000):
            id_number, phone = self._sensitive(m)
            values = {
                "name": m.name, "gender": m.gender, "ethnicity": m.ethnicity,
                "birth_date": m.birth_date, "id_number": id_number, "phone": phone,
                "education": m.education, "joined_on": m.joined_on,
                "membership": m.membership, "full_on": m.full_on,
                "org": spell("org", m.org),
                "residence_grid": spell("residence_grid", m.residence_grid),
                "employer": m.employer,
                "industry_chain": spell("industry_chain", m.industry_chain),
                "occupation": m.occupation, "status": m.status,
                "reported_to": spell("reported_to", m.reported_to),
                "reported_on": m.reported_on, "floating_direction": m.floating_direction,
                "floating_place": m.floating_place, "floating_since": m.floating_since,
                "notes": m.notes,
            }  # fmt: skip
            if m.month_dates:  # dates known only to the month: 2010-07, as text
                for key in BITS:
                    values[key] = member_date(m, key)
            if not self.unmasked:  # the day of birth is the masked number's own
                values["birth_date"] = month_text(m.birth_date)
                for key in FREE_TEXT_KEYS:
                    values[key] = freetext.mask(values[key])
            for key, by_code in labels.items():
                values[key] = by_code.get(values[key], values[key])
            for key in TEXT_KEYS:
                values[key] = quoted(values[key])
            yield [values[column.key] for column in COLUMNS]


def export_xlsx(actor: Actor, members: QuerySet, *, unmasked: bool, title: str) -> bytes:
    """The members as .xlsx; every export is written to the audit log, masked or not."""
    body = MemberExporter(members, unmasked=unmasked, title=title).to_xlsx()
    record(
        actor,
        "member.export",
        detail={"title": title, "rows": members.count(), "unmasked": unmasked},
    )
    return body
