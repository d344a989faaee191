"""Choosing one node of a large tree: a search box backed by a lookup URL (no 100k selects)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.urls import reverse


class NodeLookup(forms.Widget):
    template_name = "control/widgets/node_lookup.html"

    def __init__(self, lookup: str, filters: dict | None = None, attrs=None):
        super().__init__(attrs)
        self.lookup = lookup
        self.filters = filters or {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        choices = getattr(self, "choices", None)
        if value not in (None, "") and choices is not None:
            queryset = choices.queryset
            obj = queryset.filter(pk=value).first() if str(value).isdigit() else None
            label = node_label(obj) if obj is not None else ""
        url = reverse("control:lookup", kwargs={"kind": self.lookup})
        if self.filters:
            url += "?" + urlencode(self.filters)
        context["widget"].update({"label": label, "lookup_url": url})
        return context


def node_label(obj) -> str:
    """A node with its parent's name, so that same-named grids can be told apart."""
    parent = getattr(obj, "parent", None)
    grid = getattr(obj, "grid", None)
    outer = parent or grid
    return f"{obj} · {outer}" if outer is not None else str(obj)
