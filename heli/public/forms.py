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
                self.add_error("id_or_phone", exc)
        return data
