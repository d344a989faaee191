"""The error report of a checked file, as a spreadsheet: row, column, content, problem.

It goes through the exporter base, so a cell that a spreadsheet would run as a formula (the
file came from outside: “=HYPERLINK(…)” in a name) is written as text.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from heli.core.exporters import Exporter
from heli.members.import_models import ImportJob
from heli.members.imports.problems import FILE_ROW


class ErrorReport(Exporter):
    filename = "import-errors"

    def __init__(self, job: ImportJob):
        self.job = job
        self.sheet_name = _("Problems")

    def header(self) -> list[str]:
        return [_("Sheet"), _("Row"), _("Column"), _("Content"), _("Problem")]

    def rows(self) -> Iterator[list]:
        sheet = self.job.sheet
        for row, column, value, message in self.job.errors:
            yield [sheet, row if row != FILE_ROW else _("whole file"), column, value, message]
        hidden = self.job.error_count - len(self.job.errors)
        if hidden > 0:
            yield [
                sheet,
                "",
                "",
                "",
                _("… and %(n)d more problems. Correct these, then check the file again.")
                % {"n": hidden},
            ]
        for warning in self.job.warnings:
            yield [sheet, _("note"), "", "", warning]
