"""Choosing one node of a large tree (or one member): a Tom Select bound to the id whose
options come from a scoped lookup URL as the user types — never a select of 100k options,
never free text.

In a form, `control.forms.lookup_field` builds the field. Outside a form (a filter above a
list), render the widget itself with the queryset that resolves the current id:

    NodeLookup("orgs", queryset=PartyOrg.objects.all()).render("org", request.GET.get("org"))

and include `NodeLookup.media` (its CSS and scripts) in the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from heli.core.params import to_id

# Typed text nobody picked is posted as UNMATCHED + text (never as a number that could be
# some other node's id), so the field refuses it and shows it back with the error.
UNMATCHED = "?"


class NodeLookup(forms.Widget):
    template_name = "control/widgets/node_lookup.html"

    class Media:
        css = {"all": ["vendor/tom-select/css/tom-select.bootstrap5.min.css", "heli/picker.css"]}
        js = ["vendor/tom-select/js/tom-select.complete.min.js", "heli/picker.js"]

    def __init__(
        self,
        lookup: str,
        filters: dict | None = None,
        attrs: dict | None = None,
        queryset: QuerySet | None = None,
    ):
        super().__init__(attrs)
        self.lookup = lookup
        self.filters = filters or {}
        self.queryset = queryset

    def use_required_attribute(self, initial) -> bool:
        # The server checks presence; a browser's own "required" bubble would speak English
        # on some machines and hides the picker's message.
        return False

    def lookup_url(self) -> str:
        url = reverse("control:lookup", kwargs={"kind": self.lookup})
        return url + "?" + urlencode(self.filters) if self.filters else url

    def _queryset(self) -> QuerySet | None:
        choices = getattr(self, "choices", None)  # set by the ModelChoiceField, if any
        queryset = getattr(choices, "queryset", None)
        return queryset if queryset is not None else self.queryset

    def label_for(self, value) -> str:
        """The text of the current choice: its label when the id is in the (scoped) queryset,
        the typed text when it was never picked, the raw value otherwise (shown with its
        error; nothing outside the queryset is named)."""
        if value in (None, ""):
            return ""
        value = str(value)
        if value.startswith(UNMATCHED):
            return value[len(UNMATCHED) :]
        queryset = self._queryset()
        if queryset is not None and to_id(value):
            obj = queryset.filter(pk=to_id(value)).first()
            if obj is not None:
                return member_label(obj) if self.lookup == "members" else node_label(obj)
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["label"] = self.label_for(widget["value"])
        widget["lookup_url"] = self.lookup_url()
        widget["attrs"]["class"] = f"form-select node-picker {widget['attrs'].get('class', '')}"
        widget["texts"] = {
            "placeholder": PLACEHOLDERS.get(self.lookup, PLACEHOLDERS["orgs"]),
            "no_results": _("Nothing matches. Try part of the name or its pinyin initials."),
            "unmatched": _("Pick one of the suggestions: typed text alone is not saved."),
            "clear": _("Clear the choice"),
        }
        return context


PLACEHOLDERS = {
    "orgs": _("Type a name, its pinyin initials or the parent’s name"),
    "regions": _("Type a name, its pinyin initials or the parent’s name"),
    "members": _("Type the member’s name"),
}


class PickerChoiceField(forms.ModelChoiceField):
    """A choice among a scoped queryset through the picker. Anything but the id of one of its
    rows — an id outside it, a number that is no id, text nobody picked — is an error."""

    default_error_messages = {
        "invalid_choice": _(
            "“%(value)s” is not one of the choices. Type part of the name, its pinyin "
            "initials or the parent’s name, then pick one of the suggestions."
        ),
    }

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(UNMATCHED):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value[len(UNMATCHED) :]},
            )
        return super().to_python(value)


def node_label(obj) -> str:
    """A node with its parent's name, so that same-named grids can be told apart."""
    parent = getattr(obj, "parent", None)
    grid = getattr(obj, "grid", None)
    outer = parent or grid
    return f"{obj} · {outer}" if outer is not None else str(obj)


def member_label(member) -> str:
    return f"{member.name} · {member.id_mask} · {member.org.name}"
