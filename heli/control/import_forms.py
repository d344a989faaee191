"""The form that answers what a file needs before its check (表头确认): the sheet to read, and
for each header heli did not recognise, the field it holds or “ignore”."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heli.control.forms import StyledForm
from heli.members.import_models import ImportJob
from heli.members.imports.columns import COLUMNS, HEADER_OF
from heli.members.imports.headers import IGNORE

IGNORE_CHOICE = "ignore"  # the form's word for headers.IGNORE ("" is the unanswered choice)


class ImportSetupForm(StyledForm, forms.Form):
    """One `column_<position>` choice per unknown header; `sheet` when there is a choice."""

    def __init__(self, job: ImportJob, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        setup = job.header_setup or {}
        if len(job.sheets) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                label=_("Sheet to import"),
                choices=[(name, name) for name in job.sheets],
                initial=job.sheet,
            )
        present = set(setup.get("present", []))
        missing = set(setup.get("missing", []))
        choices = [("", _("Please choose")), (IGNORE_CHOICE, _("Ignore this column"))]
        for column in COLUMNS:
            if column.key in present:
                continue
            mark = _(" (required)") if column.key in missing else ""
            choices.append((column.key, f"{column.header}{mark}"))
        self.columns: list[tuple[str, str, str]] = []  # (field name, header, suggested field)
        for position, header, suggestion in setup.get("unknown", []):
            name = f"column_{position}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, initial=suggestion or "", required=False
            )
            self.columns.append((name, header, suggestion))
        self.style()

    @property
    def column_fields(self) -> list[tuple[str, forms.BoundField, str]]:
        """(header, its choice, the template header heli suggests or "")."""
        return [
            (header, self[name], HEADER_OF[suggestion] if suggestion else "")
            for name, header, suggestion in self.columns
        ]

    @property
    def sheet_changed(self) -> bool:
        return "sheet" in self.fields and self.cleaned_data.get("sheet") != self.job.sheet

    def clean(self):
        cleaned = super().clean()
        if self.sheet_changed:
            return cleaned  # the new sheet's columns are asked about after its own check
        for name, header, _suggestion in self.columns:
            if not cleaned.get(name):
                self.add_error(
                    name, ValidationError(_("Choose a field or “ignore” for “%s”.") % header)
                )
        return cleaned

    def answers(self) -> tuple[str, dict[str, str]]:
        """(sheet, {header as written: field key or headers.IGNORE}) for setup.answer."""
        sheet = self.cleaned_data.get("sheet", self.job.sheet) or ""
        if self.sheet_changed:
            return sheet, {}
        choices = {}
        for name, header, _suggestion in self.columns:
            value = self.cleaned_data[name]
            choices[header] = IGNORE if value == IGNORE_CHOICE else value
        return sheet, choices
