"""The floating-member report (流动党员工作报告) as a spreadsheet: figures only, no person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heli.core.exporters import Exporter
from heli.reports.floating import KEYS, Figures


class FiguresExporter(Exporter):
    """The report's figures: one row per town or street (and what no town holds), the total,
    then every figure of the zone on its own row with its own label."""

    filename = "floating-member-report"
    LABELS = {
        "floating": gettext_lazy("Floating members"),
        "outflow": gettext_lazy("Floated out"),
        "inflow": gettext_lazy("Floated in"),
        "check_in_points": gettext_lazy("Check-in points in use"),
        "letters_sent": gettext_lazy("Reminder letters sent"),
        "joined": gettext_lazy("Inflow members in nearby branches"),
        "lost": gettext_lazy("Lost contact"),
    }

    def __init__(self, result: Figures, *, today: dt.date):
        self.result = result
        self.today = today
        self.sheet_name = _("Report %(date)s") % {"date": today.isoformat()}

    def header(self) -> list[str]:
        return [_("Town or street"), *(str(self.LABELS[key]) for key in KEYS)]

    def rows(self) -> Iterator[list[Any]]:
        result = self.result
        for row in result.towns:
            yield [row["town"].name, *(row[key] for key in KEYS)]
        if result.rest is not None:
            yield [_("Not in any town or street"), *(result.rest[key] for key in KEYS)]
        yield [_("Total"), *(getattr(result, key) for key in KEYS)]
        yield []
        yield [_("Figure"), _("Value")]
        yield from ([str(label), value] for label, value in self.figures())

    def figures(self) -> list[tuple[Any, Any]]:
        """Every figure of the report with its label (the page shows the same list)."""
        r = self.result
        return [
            (_("All members (on the roll)"), r.members),
            (self.LABELS["floating"], r.floating),
            (_("Floating share of all members (%)"), r.share_percent),
            (self.LABELS["outflow"], r.outflow),
            (self.LABELS["inflow"], r.inflow),
            (self.LABELS["check_in_points"], r.check_in_points),
            (self.LABELS["letters_sent"], r.letters_sent),
            (_("Reminder letters overdue"), r.letters_overdue),
            (self.LABELS["joined"], r.joined),
            (self.LABELS["lost"], r.lost),
            (_("Sweep tasks decided"), r.sweep_done),
            (_("Sweep tasks in all"), r.sweep_total),
            (_("Sweep progress (%)"), r.sweep_percent),
        ]
