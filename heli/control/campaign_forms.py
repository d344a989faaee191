"""Forms of the campaign pages. Querysets are set per request, inside the user's scope."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.campaigns.models import DECIDED, Outcome
from heli.campaigns.services import SWEEP_KINDS
from heli.control.forms import StyledForm
from heli.core.freetext import FreeTextForm
from heli.orgs.models import Region

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_WEEKS = 4


class CampaignForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("note",)
    name = forms.CharField(label=_("name"), max_length=150)
    region = forms.ModelChoiceField(
        label=_("area swept"),
        queryset=Region.unscoped.none(),
        help_text=_("The district or a town or street: every grid below it is swept."),
    )
    due_on = forms.DateField(label=_("due on"), widget=DATE)
    note = forms.CharField(
        label=_("instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Region.objects.filter(kind__in=SWEEP_KINDS).order_by("path")
        self.fields["region"].queryset = areas
        first = areas.first()
        today = timezone.localdate()
        self.initial.setdefault("region", first.pk if first else None)
        self.initial.setdefault("due_on", today + dt.timedelta(weeks=DEFAULT_WEEKS))
        self.initial.setdefault(
            "name", _("Return-to-ranks sweep %(date)s") % {"date": f"{today:%Y-%m}"}
        )
        self.style()


class DecideForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("new_address", "note")
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[(o.value, o.label) for o in Outcome if o in DECIDED],
        widget=forms.RadioSelect,
    )
    new_address = forms.CharField(
        label=_("new address"),
        max_length=255,
        required=False,
        help_text=_("Where the member was found (located)."),
    )
    new_phone = forms.CharField(
        label=_("new phone"),
        max_length=20,
        required=False,
        help_text=_("Stored encrypted, shown masked."),
    )
    returned_on = forms.DateField(
        label=_("returned on"), required=False, widget=DATE, help_text=_("For a return.")
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a transfer (its serial number) and for unreachable."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"


class AssignForm(StyledForm, forms.Form):
    assignee = forms.ModelChoiceField(label=_("assigned to"), queryset=None)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users
        self.style()
