"""Staff forms. Querysets are set per request (inside the user's scope), never at import."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heli.accounts.models import User
from heli.accounts.roles import NO_ROLE, Role, assignable_roles
from heli.control.widgets import NodeLookup, PickerChoiceField
from heli.core.freetext import FreeTextForm
from heli.orgs.geo import validate_boundary
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind
from heli.stations.models import Station

# Django's empty choice ("---------") means nothing to the people using heli.
EMPTY_CHOICE = _("Please choose")
DJANGO_EMPTY = "---------"


def _name_empty_choice(field: forms.Field) -> None:
    """The empty choice of a drop-down reads 请选择; one with words of its own keeps them."""
    if not isinstance(field.widget, forms.Select):
        return
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DJANGO_EMPTY:
            field.empty_label = EMPTY_CHOICE
    elif isinstance(field, forms.ChoiceField):
        choices = list(field.choices)
        if any(value == "" and label == DJANGO_EMPTY for value, label in choices):
            field.choices = [
                (value, EMPTY_CHOICE if value == "" and label == DJANGO_EMPTY else label)
                for value, label in choices
            ]


class StyledForm:
    """Bootstrap classes on every widget, so templates render fields plainly, and 请选择 as
    the empty choice of every drop-down (the one place for it: every staff form is styled)."""

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            _name_empty_choice(field)
            if isinstance(widget, NodeLookup):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class PersonChoiceField(forms.ModelChoiceField):
    """A choice among staff accounts, shown as people are known: by name (姓名) and
    organization, never by user name."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name}（{obj.org.name}）" if obj.org_id else obj.display_name


def lookup_field(
    queryset, lookup: str, label, required: bool = True, filters: dict | None = None
) -> PickerChoiceField:
    """A choice of one row of `queryset` (the user's scope) through the picker, whose options
    come from the lookup `lookup` ("orgs", "regions", "members") narrowed by `filters`."""
    return PickerChoiceField(
        queryset=queryset,
        widget=NodeLookup(lookup, filters),
        label=label,
        required=required,
    )


class BoundaryField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("The boundary is not valid JSON.")) from exc
        validate_boundary(data)
        return data

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return value


class RegionForm(StyledForm, forms.ModelForm):
    boundary = BoundaryField(label=_("boundary (GeoJSON)"), required=False)

    class Meta:
        model = Region
        fields = ["name", "kind", "code", "boundary"]

    def __init__(self, *args, movable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if movable:
            self.fields["parent"] = lookup_field(
                Region.objects.exclude(kind=RegionKind.GRID), "regions", _("parent region")
            )
            self.initial.setdefault("parent", self.instance.parent_id)
            self.order_fields(["parent"])
        self.style()


class PartyOrgForm(FreeTextForm, StyledForm, forms.ModelForm):
    free_text = ("external_place",)

    class Meta:
        model = PartyOrg
        fields = ["name", "level", "category", "secretary", "phone", "external_place"]

    def __init__(self, *args, movable: bool = False, allow_external: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = lookup_field(
            Region.objects.all(), "regions", _("region served"), required=False
        )
        self.initial.setdefault("region", self.instance.region_id)
        self.order_fields([*self.Meta.fields[:3], "region"])
        if not allow_external:
            self.fields["category"].choices = [
                c for c in OrgCategory.choices if c[0] != OrgCategory.EXTERNAL
            ]
        if movable:
            self.fields["parent"] = lookup_field(
                PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL),
                "orgs",
                _("parent organization"),
            )
            self.initial.setdefault("parent", self.instance.parent_id)
            self.order_fields(["parent"])
        self.style()

    def clean(self):
        data = super().clean()
        external = data.get("category") == OrgCategory.EXTERNAL
        if data.get("category") == OrgCategory.REGIONAL and not data.get("region"):
            self.add_error("region", _("A regional organization must name the region it serves."))
        if external and data.get("region"):
            self.add_error("region", _("An organization outside the zone serves no region here."))
        if data.get("level") == OrgLevel.WORKING_COMMITTEE and external:
            self.add_error("level", _("Choose the level the outside organization has."))
        return data


class StationForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Station
        fields = [
            "kind",
            "name",
            "address",
            "latitude",
            "longitude",
            "opening_hours",
            "services",
            "contact_name",
            "contact_phone",
        ]
        widgets = {"services": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"] = lookup_field(
            Region.objects.filter(kind=RegionKind.GRID),
            "regions",
            _("grid"),
            filters={"kind": RegionKind.GRID},
        )
        self.fields["org"] = lookup_field(
            PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL),
            "orgs",
            _("party organization in charge"),
            required=False,
        )
        self.initial.setdefault("grid", self.instance.grid_id)
        self.initial.setdefault("org", self.instance.org_id)
        self.order_fields(["kind", "name", "grid", "org"])
        self.style()

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise ValidationError(_("Latitude must lie between -90 and 90."))
        return value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise ValidationError(_("Longitude must lie between -180 and 180."))
        return value


class AccountForm(StyledForm, forms.ModelForm):
    """An account: one 姓名, the role, the organization and whether it may log in. The
    password is given only when the account is created; later an administrator sets a new
    one on its own page (AccountPasswordForm)."""

    new_password = forms.CharField(
        label=_("initial password"), widget=forms.PasswordInput, strip=False
    )

    class Meta:
        model = User
        fields = ["username", "last_name", "phone", "role", "is_active"]

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"] = lookup_field(
            PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL), "orgs", _("organization")
        )
        self.initial.setdefault("org", self.instance.org_id)
        name = self.fields["last_name"]
        name.required = True
        name.help_text = _("The person's whole name, family name first, e.g. 张三 or 欧阳明月.")
        active = self.fields["is_active"]
        active.label = _("enabled")
        active.help_text = _(
            "Untick to stop this account from logging in (someone who left, say). The account, "
            "its records and its audit entries are kept; tick again to let it log in."
        )
        self.order_fields(["username", "last_name", "phone", "role", "org"])
        self.fields["role"].choices = role_choices(manager)
        self.fields["role"].required = False
        self.fields["role"].help_text = _(
            "The three administrators' roles are given by the security administrator."
        )
        if self.instance.pk is not None:
            del self.fields["new_password"]
        self.style()

    def clean_new_password(self):
        password = self.cleaned_data.get("new_password")
        if password:
            password_validation.validate_password(password, self.instance)
        return password


def role_choices(manager: User) -> list[tuple[str, Any]]:
    """The roles `manager` may hand out (roles.assignable_roles), none first."""
    allowed = assignable_roles(manager)
    labels = [(NO_ROLE, _("No role (sees nothing)")), *Role.choices]
    return [(value, label) for value, label in labels if value in allowed]


class AccountRoleForm(StyledForm, forms.Form):
    """The security administrator's one field: the account's role."""

    role = forms.ChoiceField(label=_("role"), required=False)

    def __init__(self, *args, manager: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(manager)
        self.style()


class AccountPasswordForm(StyledForm, forms.Form):
    """A new password for an existing account, typed twice."""

    new_password = forms.CharField(label=_("new password"), widget=forms.PasswordInput, strip=False)
    repeat_password = forms.CharField(
        label=_("new password again"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        rules = password_validation.password_validators_help_text_html()
        self.fields["new_password"].help_text = rules
        self.style()

    def clean_new_password(self):
        password = self.cleaned_data.get("new_password")
        if password:
            password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("repeat_password")
        if first and second and first != second:
            self.add_error("repeat_password", _("The two passwords differ."))
        return data


class OwnPasswordForm(AccountPasswordForm):
    """A staff member's own new password: the current one, then the new one twice."""

    old_password = forms.CharField(
        label=_("current password"), widget=forms.PasswordInput, strip=False
    )
    field_order = ["old_password", "new_password", "repeat_password"]

    def clean_old_password(self):
        password = self.cleaned_data.get("old_password")
        if password and not self.user.check_password(password):
            raise ValidationError(_("The current password is wrong."), code="password_incorrect")
        return password
