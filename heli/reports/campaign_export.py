"""The campaign report as a spreadsheet: one row per task, phones masked, formula-safe (the
base exporter neutralizes cells a spreadsheet would run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from heli.audit.services import Actor, record
from heli.campaigns.models import Campaign, Outcome
from heli.core import freetext
from heli.core.exporters import Exporter, SheetInfo
from heli.members.choices import FloatingDirection
from heli.reports import campaigns as stats


class CampaignReportExporter(Exporter):
    filename = "campaign"

    def __init__(self, campaign: Campaign, tasks: QuerySet):
        self.campaign = campaign
        self.tasks = tasks
        self.sheet_name = _("Campaign report")

    def header(self) -> list[str]:
        return [
            _("Town or street"), _("Village or community"), _("Grid"), pgettext("person", "Name"),
            _("Floating direction"), _("Floating to / from"),
            _("Lost contact when the campaign opened"), _("Outcome"), _("New address"),
            _("New phone"), _("Note"), _("Decided on"), _("Decided by"), _("Assigned to"),
        ]  # fmt: skip

    # Tuples, not model instances, and each label looked up once: the report holds a row per
    # floating record of the area swept (thousands in a town at province scale).
    FIELDS = (
        "grid_id", "grid__name", "member__name", "record__direction", "record__place",
        "was_lost", "outcome", "new_address", "new_phone_mask", "note", "done_at",
        "done_by__username", "assignee__username",
    )  # fmt: skip

    def rows(self) -> Iterator[list[Any]]:
        places = {row.pk: row for row in stats.by_grid(self.tasks)}
        directions = {value: str(label) for value, label in FloatingDirection.choices}
        outcomes = {value: str(label) for value, label in Outcome.choices}
        yes, no, nobody = _("Yes"), _("No"), _("Unassigned")
        rows = self.tasks.values_list(*self.FIELDS)  # in the tasks' order: by grid, then name
        for (grid_id, grid, member, direction, place_text, was_lost, outcome, address, phone,
             note, done_at, done_by, assignee) in rows.iterator(chunk_size=2000):  # fmt: skip
            place = places.get(grid_id)
            yield [
                place.town if place else "", place.village if place else "", grid, member,
                directions.get(direction, direction), freetext.mask(place_text),
                yes if was_lost else no, outcomes.get(outcome, outcome),
                freetext.mask(address), phone, freetext.mask(note),
                timezone.localdate(done_at) if done_at else None,
                done_by or "", assignee or nobody,
            ]  # fmt: skip


def export_xlsx(actor: Actor, campaign: Campaign, tasks: QuerySet, info: SheetInfo) -> bytes:
    """The report's tasks as .xlsx under `info`'s title block; the export is audited."""
    body = CampaignReportExporter(campaign, tasks).to_xlsx(info)
    record(actor, "campaign.export", campaign, detail={"rows": tasks.count()})
    return body
