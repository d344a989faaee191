"""The floating-record list as a spreadsheet (masked: no ID numbers or phones in it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from heli.core import freetext
from heli.core.exporters import Exporter
from heli.mobility import clock


class FloatingExporter(Exporter):
    filename = "floating-members"

    def __init__(self, records: QuerySet, *, today: dt.date):
        self.records = records
        self.today = today
        self.count = 0
        self.sheet_name = _("Floating members")

    def header(self) -> list[str]:
        return [
            pgettext("person", "Name"),
            _("Direction"), _("Status"), _("Place"), _("Outflow organization"),
            _("Inflow organization"), _("Industry chain committee"), _("Grid"),
            _("Left / arrived on"), _("Document"), _("Last contact"),
            _("Days without contact"), _("Contact state"), _("Joined branch"),
        ]  # fmt: skip

    def rows(self) -> Iterator[list[Any]]:
        for r in self.records.iterator(chunk_size=2000):
            self.count += 1
            yield [
                r.member.name, r.get_direction_display(), r.get_status_display(),
                freetext.mask(r.place),
                r.outflow_org.name if r.outflow_org else "",
                r.inflow_org.name if r.inflow_org else r.other_org_name,
                r.industry_chain.name if r.industry_chain else "",
                r.grid.name if r.grid else "", r.since, r.get_document_display(),
                clock.last_contact_day(r), clock.days_without_contact(r, self.today),
                clock.state_of(r, self.today).label,
                r.joined_org.name if r.joined_org else "",
            ]  # fmt: skip
