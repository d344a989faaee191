"""Values of audit details as people read them: field labels, code labels, names for ids,
and masks. `heli.audit.describe` builds its sentences from these.

Other apps' models are reached through Django's app registry from the names the registry gives
(`heli.audit.actions`), never imported. Ids become names only through `Names`, fetched once
for a list of entries (`prefetch_names`); without it they show as ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heli.audit.actions import ACTIONS, Action
from heli.core import crypto, freetext
from heli.core.scoping import ScopeError

# Detail keys naming a sensitive value, and the model field holding its mask.
MASKED_FIELDS = {
    "id_number": "id_mask",
    "phone": "phone_mask",
    "contact_phone": "contact_phone_mask",
}
# Labels that read better than a field's own in a sentence about that model.
FIELD_LABELS = {
    "members.member": {"status": gettext_lazy("member status"), "name": gettext_lazy("full name")},
}
LONGEST_VALUE = 80
MOST_ITEMS = 10
# An ID mask as entries written before masks kept only the last two characters hold them.
OLD_ID_MASK = re.compile(r"(?<![0-9A-Za-z*])\d{4}\*{7,10}[\dXx]{4}(?![0-9A-Za-z*])")
# Fields a person's birth date is in: shown to the month (the day is the ID number's own).
BIRTH_FIELDS = {"birth_date"}


def masked(text: str) -> str:
    """`text` with any number in it masked as pages mask free text (heli.core.freetext), and
    ID masks of the old form made anew."""
    return OLD_ID_MASK.sub(lambda m: crypto.remask_id(m.group()), freetext.mask(text))


# --- names of objects a detail refers to by id -------------------------------------------------


@dataclass
class Names:
    """Names of the objects some entries refer to by id, and of the actors' organizations."""

    objects: dict[str, dict[int, str]] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)

    def name(self, model: type[models.Model], pk: int) -> str | None:
        return self.objects.get(model._meta.label_lower, {}).get(pk)

    def org(self, path: str) -> str:
        return self.orgs.get(path, "")


def prefetch_names(entries: Iterable[Any]) -> Names:
    """One query per kind of object the entries refer to (organizations, regions, members …)
    and one for the actors' organizations, through the active scope: what the viewer may not
    see stays an id. Call it once per page (or chunk) and pass the result on."""
    wanted: dict[type[models.Model], set[int]] = {}
    paths = set()
    for entry in entries:
        if getattr(entry, "org_path", ""):
            paths.add(entry.org_path)
        action = ACTIONS.get(entry.action)
        detail = entry.detail if isinstance(entry.detail, Mapping) else {}
        for key, value in detail.items():
            model = _related_model(_field_of(action, entry.object_type, key))
            if model is None:
                continue
            for pk in value if isinstance(value, list) else [value]:
                if is_id(pk):
                    wanted.setdefault(model, set()).add(pk)
    names = Names()
    for model, pks in wanted.items():
        found = _fetch(model, pk__in=pks)
        names.objects[model._meta.label_lower] = {obj.pk: str(obj) for obj in found}
    if paths:
        org_model = _related_model(_safe_field(get_user_model(), "org"))
        if org_model is not None:
            found = _fetch(org_model, path__in=paths)
            names.orgs = {obj.path: str(obj) for obj in found}
    return names


def _fetch(model: type[models.Model], **lookup: Any) -> list[models.Model]:
    """Through the model's default manager, i.e. the scope; `select_related()` because
    `str()` of some objects reads their relations (a floating record names its member)."""
    try:
        return list(model._default_manager.filter(**lookup).select_related())
    except ScopeError:  # no scope open (a command): ids stay ids
        return []


# --- fields, labels and values -----------------------------------------------------------------


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label) if label.count(".") == 1 else None
    except (LookupError, ValueError):
        return None


def _safe_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # Only the model's own columns: a reverse relation ("members" of an organization) is not
    # what a detail key means.
    return found if getattr(found, "concrete", False) else None


def _field_of(action: Action | None, object_type: str, key: str) -> models.Field | None:
    """The model field explaining `key`: named by the action, or the object's own field."""
    ref = action.fields.get(key) if action is not None else None
    if ref and ref.count(".") == 2:
        app_model, name = ref.rsplit(".", 1)
        return _safe_field(_model(app_model), name)
    if ref and "." in ref:
        return None  # a code list, not a field (see _choices)
    model = _model(object_type) if object_type else None
    return _safe_field(model, ref or key) or _safe_field(model, MASKED_FIELDS.get(key, ""))


def _related_model(model_field: models.Field | None) -> type[models.Model] | None:
    if model_field is not None and model_field.many_to_one:
        return model_field.related_model
    return None


def _choices(action: Action | None, model_field: models.Field | None, key: str) -> dict:
    if action is not None and key in action.codes:
        return dict(action.codes[key])
    ref = action.fields.get(key, "") if action is not None else ""
    if ref.count(".") == 1:  # "app_label.ChoicesClass" in that app's models module
        app_label, name = ref.split(".")
        try:
            code_list = getattr(apps.get_app_config(app_label).models_module, name)
            return {str(code): text for code, text in code_list.choices}
        except (LookupError, AttributeError):
            return {}
    if model_field is not None and model_field.choices:
        return {str(code): text for code, text in model_field.flatchoices}
    return {}


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def join(parts: Iterable[str]) -> str:
    return _("; ").join(part for part in parts if part)


def pair(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def count_text(value: Any) -> str:
    return f"{value:,}" if is_id(value) else masked(str(value))


def items(texts: list[str]) -> str:
    """Items of a list, the first MOST_ITEMS of them: a batch of 149 letters stays readable."""
    shown = _(", ").join(texts[:MOST_ITEMS])
    return shown + "…" if len(texts) > MOST_ITEMS else shown


def item_name(item: Mapping[str, Any]) -> str:
    """What names one object of a batch ({"id": 7, "number": "…督报〔2026〕7号", …})."""
    for key in ("number", "name", "member"):
        if isinstance(item.get(key), str) and item[key]:
            return item[key]
    return json.dumps(item, ensure_ascii=False)


@dataclass
class Context:
    """One detail being rendered: which action, about which object, with which names."""

    action: Action | None
    object_type: str
    detail: Mapping[str, Any]
    names: Names | None
    used: set[str] = field(default_factory=set)

    def field(self, key: str) -> models.Field | None:
        return _field_of(self.action, self.object_type, key)

    def label(self, key: str) -> str:
        if self.action is not None and key in self.action.keys:
            return capfirst(str(self.action.keys[key]))
        model_field = self.field(key)
        if model_field is None:
            return str(key)
        owner = model_field.model._meta.label_lower
        return capfirst(
            str(FIELD_LABELS.get(owner, {}).get(model_field.name, model_field.verbose_name))
        )

    def value(self, key: str, value: Any = None, *, of_key: bool = True) -> str:
        """`value` (by default the detail's) as shown: code labels, names for ids, masks."""
        value = self.detail.get(key) if of_key and value is None else value
        model_field = self.field(key)
        if value is None or value == "":
            return _("(empty)")
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, list):
            return items([self.value(key, item, of_key=False) for item in value])
        if isinstance(model_field, models.JSONField):
            return _("changed")  # a boundary, say: too long to read in a sentence
        if isinstance(value, dict):
            value = item_name(value)
        choices = _choices(self.action, model_field, key)
        if str(value) in choices:
            return str(choices[str(value)])
        related = _related_model(model_field)
        if related is not None and is_id(value):
            name = self.names.name(related, value) if self.names is not None else None
            return masked(name) if name else f"#{value}"
        if is_id(value):
            return f"{value:,}"
        if key in BIRTH_FIELDS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            return str(value)[:7]
        text = masked(str(value))
        return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"

    def take(self, *keys: str) -> list[Any]:
        """The detail's values of `keys`, marked as said (the generic rest skips them)."""
        self.used.update(keys)
        return [self.detail.get(key) for key in keys]

    def part(self, key: str) -> str:
        value = self.detail[key]
        diff = self.action is not None and self.action.diff
        if diff and isinstance(value, list) and len(value) == 2:
            old, new = value
            if old == new or isinstance(self.field(key), models.JSONField):
                # A password shows as *** on both sides; a boundary is too long to compare.
                return pair(self.label(key), _("changed"))
            old_text = self.value(key, old, of_key=False)
            new_text = self.value(key, new, of_key=False)
            return pair(self.label(key), f"{old_text} → {new_text}")
        return pair(self.label(key), self.value(key))

    def rest(self) -> list[str]:
        keys = sorted((key for key in self.detail if key not in self.used), key=self._rank)
        return [self.part(key) for key in keys]

    def _rank(self, key: str) -> tuple[int, int]:
        """Fields of the object in the model's order (the form's), then the keys the action
        names, then the rest: PostgreSQL's jsonb does not keep the order the detail had."""
        model_field = self.field(key)
        model = _model(self.object_type) if self.object_type else None
        if model_field is not None and model_field.model is model:
            return (0, model._meta.fields.index(model_field))
        named = [*self.action.fields, *self.action.keys] if self.action is not None else []
        return (1, named.index(key)) if key in named else (2, 0)
