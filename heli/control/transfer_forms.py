"""Forms of the transfer pages. The receiving organization is chosen from the whole zone and
the directory of organizations outside it (names only: every branch must be reachable)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from heli.control.forms import StyledForm, lookup_field
from heli.control.widgets import NodeLookup, PickerChoiceField
from heli.core.freetext import FreeTextForm
from heli.members.models import Member
from heli.mobility.models import FlowRange
from heli.orgs.models import OrgCategory, PartyOrg


class DestinationLookup(NodeLookup):
    """A node lookup over every organization (transfers reach beyond the user's subtree)."""

    def lookup_url(self) -> str:
        url = reverse("control:transfer_destinations")
        return url + "?external=1" if self.filters.get("external") else url


def destination_field(label, *, external: bool = False, required: bool = True):
    queryset = PartyOrg.unscoped.all()
    if external:
        queryset = queryset.filter(category=OrgCategory.EXTERNAL)
    return PickerChoiceField(
        queryset=queryset,
        widget=DestinationLookup("orgs", {"external": "1"} if external else None),
        label=label,
        required=required,
    )


class ApplyForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("to_place", "reason")
    to_org = destination_field(_("receiving organization"), required=False)
    to_org_name = forms.CharField(
        label=_("or the receiving organization's name"),
        max_length=150,
        required=False,
        help_text=_("Only when it is outside the zone and not in the directory."),
    )
    to_place = forms.CharField(
        label=_("place (province/city/county)"), max_length=150, required=False
    )
    flow_range = forms.ChoiceField(
        label=_("range"),
        choices=FlowRange.choices,
        initial=FlowRange.CITY,
        help_text=_("Within the zone the range is always the city."),
    )
    reason = forms.CharField(label=_("reason for the transfer"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class IncomingForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("to_place", "reason")
    external_serial = forms.CharField(label=_("number of the letter"), max_length=60)
    from_org = destination_field(
        _("sending organization (outside the zone)"), external=True, required=False
    )
    issued_on = forms.DateField(
        label=_("issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: counted from the issue date by the range."),
    )
    flow_range = forms.ChoiceField(
        label=_("range"), choices=FlowRange.choices, initial=FlowRange.OTHER_PROVINCE
    )
    reason = forms.CharField(label=_("reason for the transfer"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = lookup_field(Member.objects.all(), "members", _("member"))
        self.fields["to_org"] = lookup_field(
            PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL),
            "orgs",
            _("receiving organization"),
        )
        self.order_fields(["member", "to_org", "external_serial", "from_org"])
        self.fields["from_org"].help_text = _("Empty: the organization the member's record names.")
        self.style()


class StepForm(FreeTextForm, forms.Form):
    """Every action posts the version it was shown (so two people never act on the same
    step) and, where the action needs one, a reason or note."""

    free_text = ("reason", "note")

    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=255, required=False)
    note = forms.CharField(max_length=500, required=False)
    receipt_number = forms.CharField(max_length=60, required=False)
    received_on = forms.DateField(required=False)
