"""Forms of the member pages. Relations are chosen through the scoped lookup widget."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from heli.control.forms import StyledForm, lookup_field
from heli.core.freetext import FreeTextForm
from heli.members import dates
from heli.members.models import Member
from heli.orgs.models import OrgCategory, PartyOrg, Region, RegionKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RELATIONS = ["org", "residence_grid", "industry_chain", "reported_to"]


class MemberForm(FreeTextForm, StyledForm, forms.ModelForm):
    free_text = ("employer", "floating_place", "notes")
    id_number = forms.CharField(label=_("ID number"), max_length=30, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = [
            "name",
            "gender",
            "ethnicity",
            "education",
            "joined_on",
            "membership",
            "full_on",
            "employer",
            "occupation",
            "status",
            "reported_on",
            "floating_direction",
            "floating_place",
            "floating_since",
            "floating_until",
            "notes",
        ]
        widgets = {
            name: DATE
            for name in (
                "joined_on",
                "full_on",
                "reported_on",
                "floating_since",
                "floating_until",
            )
        } | {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        self.fields["org"] = self._org_field(editing)
        self.fields["residence_grid"] = lookup_field(
            Region.objects.filter(kind=RegionKind.GRID),
            "regions",
            _("residence grid"),
            required=False,
            filters={"kind": RegionKind.GRID},
        )
        self.fields["industry_chain"] = lookup_field(
            PartyOrg.objects.filter(category=OrgCategory.INDUSTRY_CHAIN),
            "orgs",
            _("industry chain"),
            required=False,
        )
        self.fields["reported_to"] = lookup_field(
            Region.objects.exclude(kind=RegionKind.GRID),
            "regions",
            _("community reported to"),
            required=False,
        )
        for name in RELATIONS:
            self.initial.setdefault(name, getattr(self.instance, f"{name}_id"))
        self.fields["id_number"].required = not editing
        if editing:
            self.initial["version"] = self.instance.version
            self.fields["id_number"].help_text = _("Now %(mask)s. Leave empty to keep it.") % {
                "mask": self.instance.id_mask
            }
            self.fields["phone"].help_text = _("Now %(mask)s. Leave empty to keep it.") % {
                "mask": self.instance.phone_mask or "—"
            }
            for name in dates.BITS:
                if name in self.fields and dates.month_only(self.instance.month_dates, name):
                    self.fields[name].help_text = _(
                        "Known only to the month (%(month)s). A date you change here is kept "
                        "as the exact day."
                    ) % {"month": dates.month_text(getattr(self.instance, name))}
        self.order_fields(
            [
                "name",
                "id_number",
                "gender",
                "ethnicity",
                "phone",
                "education",
                "org",
                "joined_on",
                "membership",
                "full_on",
                "residence_grid",
                "employer",
                "industry_chain",
                "occupation",
                "status",
                "reported_to",
                "reported_on",
            ]
        )
        self.fields["gender"].required = False
        self.style()

    def _org_field(self, editing: bool):
        """A new member may be held outside the zone (an inflow member); an edit offers only
        organizations inside the editor's scope, besides the one holding the member now: a move
        across that boundary is a relationship transfer (members.services.check_move)."""
        if not editing:
            orgs, filters = PartyOrg.objects.all(), {"external": "1"}
        else:
            inside = PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL).values("pk")
            orgs = PartyOrg.unscoped.filter(Q(pk__in=inside) | Q(pk=self.instance.org_id))
            filters = None
        return lookup_field(
            orgs, "orgs", _("organization holding the relationship"), filters=filters
        )

    def service_data(self) -> dict:
        """What the member services take: plain fields, relations, and sensitive inputs only
        when typed (an empty box on edit keeps the stored value)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for name in ("id_number", "phone"):
            if self.instance.pk and not data.get(name):
                data.pop(name, None)
        if not data.get("gender"):
            data.pop("gender", None)
        return data


class DeleteMemberForm(FreeTextForm, StyledForm, forms.Form):
    free_text = ("reason",)
    reason = forms.CharField(label=_("reason for deletion"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
