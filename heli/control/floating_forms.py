"""Forms of the floating-member pages. Querysets are the user's scope, set per request."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.accounts.models import User
from heli.accounts.services import acting_for
from heli.control.forms import PersonChoiceField, StyledForm, lookup_field
from heli.control.member_forms import DATE
from heli.core.freetext import FreeTextForm
from heli.core.params import to_id
from heli.core.scoping import current_scope
from heli.members import phones
from heli.members.choices import FloatingDirection
from heli.members.models import Member
from heli.mobility.floating import DUTIES, inflow_side_org, sides
from heli.mobility.models import ContactKind, FloatingRecord
from heli.orgs.models import OrgCategory, PartyOrg, Region, RegionKind


def _not_in_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return value


class FloatingRecordForm(FreeTextForm, StyledForm, forms.ModelForm):
    """流出/流入登记. The outflow organization of an outflow is the member's own (set by the
    service); the other side may be outside the zone (directory or free text)."""

    free_text = ("place", "address")

    class Meta:
        model = FloatingRecord
        fields = [
            "direction", "place", "other_org_name", "other_contact", "since", "flow_range",
            "reason", "expected_months", "place_certain", "occupation", "address",
            "card_number", "card_issued_on",
        ]  # fmt: skip
        widgets = {"since": DATE, "card_issued_on": DATE}

    contact_phone = forms.CharField(label=_("contact phone there"), max_length=30, required=False)

    def __init__(self, *args, member: Member, user_org: PartyOrg | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other_org"] = lookup_field(
            PartyOrg.objects.all(),
            "orgs",
            _("organization on the other side, from the directory"),
            required=False,
            filters={"external": "1"},
        )
        self.fields["other_org"].help_text = _(
            "Outflow: the party organization where the member went; inflow: the one holding "
            "the member's relationship. Type to find it in the zone or in the directory of "
            "organizations outside the zone."
        )
        self.fields["other_org_name"].label = _("name of the organization on the other side")
        self.fields["other_org_name"].help_text = _(
            "Filled in from the choice above. Type the full name only when the organization "
            "is not in the directory."
        )
        self.fields["industry_chain"] = forms.ModelChoiceField(
            PartyOrg.objects.filter(category=OrgCategory.INDUSTRY_CHAIN),
            label=_("industry chain committee"),
            required=False,
        )
        self.fields["grid"] = lookup_field(
            Region.objects.filter(kind=RegionKind.GRID),
            "regions",
            _("grid where the member lives in the zone"),
            required=False,
            filters={"kind": RegionKind.GRID},
        )
        self.fields["liaison"] = PersonChoiceField(
            acting_for([self._record_org(member, user_org)]),
            label=_("liaison officer"),
            required=False,
            help_text=_(
                "Someone who may act for the organization keeping the record: its own people "
                "or those of the organizations above it."
            ),
        )
        self.order_fields(["direction", "place", "other_org", "other_org_name", "other_contact"])
        self.style()

    def _record_org(self, member: Member, user_org: PartyOrg | None) -> PartyOrg | None:
        """The organization the record is kept by, for the direction and grid asked (posted,
        else initial): the member's own for an outflow, the inflow side's for an inflow. The
        liaison's choices follow it, so a posted liaison of the other side is refused."""
        source = self.data if self.is_bound else self.initial
        if source.get("direction") == FloatingDirection.OUT:
            return member.org
        grid = source.get("grid")
        return inflow_side_org(to_id(grid), user_org)

    def clean_since(self):
        return _not_in_future(self.cleaned_data.get("since"))

    def clean_contact_phone(self):
        raw = self.cleaned_data.get("contact_phone", "")
        return phones.validate(raw) if raw else ""

    def clean(self):
        data = super().clean()
        direction = data.get("direction")
        other = data.get("other_org")
        if direction == FloatingDirection.IN and not data.get("grid"):
            self.add_error("grid", _("An inflow member lives in a grid of the zone."))
        if data.get("card_number") and not data.get("card_issued_on"):
            self.add_error("card_issued_on", _("Give the date the activity card was issued."))
        if other is not None and not data.get("other_org_name"):
            data["other_org_name"] = other.name
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        other = data.pop("other_org", None)
        if data["direction"] == FloatingDirection.OUT:
            data["inflow_org"] = other
        else:
            data["outflow_org"] = other
        return data


class ContactForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("note",)
    kind = forms.ChoiceField(
        label=_("how"),
        choices=[(k, label) for k, label in ContactKind.choices if k != ContactKind.CHECK_IN],
    )
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class DutiesForm(StyledForm, forms.Form):
    """三方共管: each party names owners among its own people; an owner named by another party
    (not visible here) is kept unless replaced."""

    def __init__(self, *args, record: FloatingRecord, user_org: PartyOrg | None, **kwargs):
        super().__init__(*args, **kwargs)
        users = acting_for(self._own_sides(record, user_org))
        visible = set(users.values_list("pk", flat=True))
        self.hidden_owners: dict[str, User] = {}
        labels = {
            "contact_owner": _("owner of contact"),
            "education_owner": _("owner of education"),
            "services_owner": _("owner of services"),
        }
        for duty in DUTIES:
            owner = getattr(record, duty)
            self.fields[duty] = PersonChoiceField(users, label=labels[duty], required=False)
            if owner is not None and owner.pk in visible:
                self.initial[duty] = owner.pk
            elif owner is not None:
                self.hidden_owners[duty] = owner
                self.fields[duty].help_text = _(
                    "Now %(name)s (another party). Leave empty to keep."
                ) % {"name": owner.display_name}
        self.style()

    @staticmethod
    def _own_sides(record: FloatingRecord, user_org: PartyOrg | None) -> list[PartyOrg]:
        """The parties of the record the user belongs to (their own organization when none
        is named): each party names owners among its own people."""
        scope = current_scope()
        mine = [org for org in sides(record) if scope.covers_org(org.path)]
        return mine or [org for org in [user_org] if org is not None]

    def owners(self) -> dict[str, User | None]:
        return {
            duty: owner
            for duty, owner in self.cleaned_data.items()
            if owner is not None or duty not in self.hidden_owners
        }


class ReturnForm(StyledForm, forms.Form):
    ended_on = forms.DateField(label=_("returned on"), widget=DATE)
    card_handed_in = forms.BooleanField(label=_("activity card handed in"), required=False)

    def __init__(self, *args, record: FloatingRecord, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("ended_on", timezone.localdate())
        if record.card_number:  # the card is handed in on return (流动党员活动证交回)
            self.fields["card_handed_in"].required = True
            self.fields["card_handed_in"].help_text = _("Card No. %(number)s") % {
                "number": record.card_number
            }
            self.fields["card_handed_in"].error_messages["required"] = _(
                "The activity card is handed in before the return is registered."
            )
        else:
            del self.fields["card_handed_in"]
        self.style()

    def clean_ended_on(self):
        return _not_in_future(self.cleaned_data.get("ended_on"))


class JoinForm(StyledForm, forms.Form):
    org = forms.IntegerField(widget=forms.HiddenInput)
    joined_on = forms.DateField(label=_("joined on"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("joined_on", timezone.localdate())
        self.style()

    def clean_joined_on(self):
        return _not_in_future(self.cleaned_data.get("joined_on"))


class TemporaryBranchForm(StyledForm, forms.Form):
    place = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("name of the temporary branch"), max_length=150)
    parent = forms.ModelChoiceField(PartyOrg.unscoped.none(), label=_("parent organization"))
    joined_on = forms.DateField(label=_("formed on"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL)
            .exclude(level="branch")
            .order_by("path")
        )
        self.initial.setdefault("joined_on", timezone.localdate())
        self.style()

    def clean_joined_on(self):
        return _not_in_future(self.cleaned_data.get("joined_on"))
