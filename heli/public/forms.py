from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heli.mobility.checkins import Identity


class CheckInForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    id_or_phone = forms.CharField(
        label=_("ID number or mobile phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("name") and data.get("id_or_phone"):
            try:
                data["identity"] = Identity.parse(data["name"], data["id_or_phone"])
            except ValidationError as exc:
                self.add_error("id_or_phone", _public_message(exc))
        return data


def _public_message(error: ValidationError) -> ValidationError:
    """What a person at a station is told about a wrong ID number: only that it is not valid.
    Staff forms say what is wrong (length, birth date, the expected check code); here that
    would invite changing digits until a number passes, so every ID-number error reads the same.
    A phone error names only what the person typed and stays as it is."""
    if any(code.startswith("id_") for code in _codes(error)):
        return ValidationError(
            _("The ID number is not valid. Please check it and enter it again."),
            code="id_invalid",
        )
    return error


def _codes(error: ValidationError) -> list[str]:
    return [item.code or "" for item in error.error_list]
