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
from heli.campaigns.models import Campaign
from heli.core import freetext
from heli.core.exporters import Exporter, SheetInfo
from heli.reports import campaigns as stats


class CampaignReportExporter(Exporter):
    filename = "campaign"

    def __init__(self, campaign: Campaign, tasks: QuerySet):
        self.campaign = campaign
        self.tasks = tasks.select_related("member", "grid", "record", "assignee", "done_by")
        self.sheet_name = _("Campaign report")

    def header(self) -> list[str]:
        return [
            _("Town or street"), _("Village or community"), _("Grid"), pgettext("person", "Name"),
            _("Floating direction"), _("Floating to / from"),
            _("Lost contact when the campaign opened"), _("Outcome"), _("New address"),
            _("New phone"), _("Note"), _("Decided on"), _("Decided by"), _("Assigned to"),
        ]  # fmt: skip

    def rows(self) -> Iterator[list[Any]]:
        places = {row.pk: row for row in stats.by_grid(self.tasks)}
        for task in self.tasks.iterator(chunk_size=1000):
            place = places.get(task.grid_id)
            yield [
                place.town if place else "", place.village if place else "", task.grid.name,
                task.member.name, task.record.get_direction_display(),
                freetext.mask(task.record.place),
                _("Yes") if task.was_lost else _("No"), task.get_outcome_display(),
                freetext.mask(task.new_address), task.new_phone_mask, freetext.mask(task.note),
                timezone.localdate(task.done_at) if task.done_at else None,
                task.done_by.username if task.done_by else "",
                task.assignee.username if task.assignee else _("Unassigned"),
            ]  # fmt: skip


def export_xlsx(actor: Actor, campaign: Campaign, tasks: QuerySet, info: SheetInfo) -> bytes:
    """The report's tasks as .xlsx under `info`'s title block; the export is audited."""
    body = CampaignReportExporter(campaign, tasks).to_xlsx(info)
    record(actor, "campaign.export", campaign, detail={"rows": tasks.count()})
    return body
