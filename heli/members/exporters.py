"""Member exports (ledgers and filtered lists), masked unless the caller asked and may see more."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.core import crypto
from heli.core.exporters import Exporter


class MemberExporter(Exporter):
    filename = "members"

    def __init__(self, members: QuerySet, *, unmasked: bool = False, title: str = ""):
        self.members = members.select_related(
            "org", "residence_grid", "reported_to", "industry_chain"
        )
        self.unmasked = unmasked
        self.sheet_name = title or _("Party members")

    def header(self) -> list[str]:
        return [
            _("Name"), _("Gender"), _("Ethnicity"), _("Birth date"), _("ID number"), _("Phone"),
            _("Education"), _("Date joined the Party"), _("Membership"),
            _("Organization holding the relationship"), _("Residence grid"), _("Employer"),
            _("Industry chain"), _("Occupation"), _("Status"), _("Community reported to"),
            _("Date reported"), _("Floating direction"), _("Floating to / from"),
            _("Floating since"), _("Notes"),
        ]  # fmt: skip

    def _sensitive(self, member) -> tuple[str, str]:
        if not self.unmasked:
            return member.id_mask, member.phone_mask
        phone = crypto.decrypt(member.phone_cipher) if member.phone_cipher else ""
        return crypto.decrypt(member.id_cipher), phone

    def rows(self) -> Iterator[list[Any]]:
        for m in self.members.iterator(chunk_size=2000):
            id_number, phone = self._sensitive(m)
            yield [
                m.name, m.get_gender_display(), m.ethnicity, m.birth_date, id_number, phone,
                m.get_education_display(), m.joined_on, m.get_membership_display(),
                m.org.name, m.residence_grid.name if m.residence_grid else "", m.employer,
                m.industry_chain.name if m.industry_chain else "", m.get_occupation_display(),
                m.get_status_display(), m.reported_to.name if m.reported_to else "",
                m.reported_on, m.get_floating_direction_display(), m.floating_place,
                m.floating_since, m.notes,
            ]  # fmt: skip


def export_xlsx(actor: Actor, members: QuerySet, *, unmasked: bool, title: str) -> bytes:
    """The members as .xlsx; every export is written to the audit log, masked or not."""
    body = MemberExporter(members, unmasked=unmasked, title=title).to_xlsx()
    record(
        actor,
        "member.export",
        detail={"title": title, "rows": members.count(), "unmasked": unmasked},
    )
    return body
