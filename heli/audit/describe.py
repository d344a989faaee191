"""Audit entries and member history as people read them: the action as a phrase, the detail as
a sentence with field labels and code labels ("学历：大学本科 → 硕士研究生").

The audit log and a member's history (`MemberChange`) share this one formatter. Other apps'
models are reached through Django's app registry from the names the registry gives
(`heli.audit.actions`), never imported. Ids in a detail become names only through `Names`,
fetched once for a list of entries (`prefetch_names`); without it they show as ids.

No ID number or phone appears in full: the services store masks, and every value shown is
masked again if it looks like an ID number or a mobile number (a reason typed by a user, say).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from heli.audit.actions import ACTIONS, Action
from heli.audit.actions import label as action_label
from heli.core import crypto
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
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def masked(text: str) -> str:
    """`text` with anything that looks like an ID number or a mobile number masked."""
    text = ID_NUMBER.sub(lambda m: crypto.mask_id(m.group()), text)
    return MOBILE.sub(lambda m: crypto.mask_phone(m.group()), text)


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
                if _is_id(pk):
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


def annotate(entries: Iterable[Any]) -> list[Any]:
    """The entries, each carrying the names of one shared prefetch, so that their
    `detail_text` and `org_name` cost no query of their own. For a page of the audit log."""
    entries = list(entries)
    names = prefetch_names(entries)
    for entry in entries:
        entry._names = names
    return entries


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


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _join(parts: Iterable[str]) -> str:
    return _("; ").join(part for part in parts if part)


def _pair(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _count(value: Any) -> str:
    return f"{value:,}" if _is_id(value) else masked(str(value))


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
            return _(", ").join(self.value(key, item, of_key=False) for item in value)
        if isinstance(model_field, models.JSONField):
            return _("changed")  # a boundary, say: too long to read in a sentence
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        choices = _choices(self.action, model_field, key)
        if str(value) in choices:
            return str(choices[str(value)])
        related = _related_model(model_field)
        if related is not None and _is_id(value):
            name = self.names.name(related, value) if self.names is not None else None
            return masked(name) if name else f"#{value}"
        if _is_id(value):
            return f"{value:,}"
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
                return _pair(self.label(key), _("changed"))
            old_text = self.value(key, old, of_key=False)
            new_text = self.value(key, new, of_key=False)
            return _pair(self.label(key), f"{old_text} → {new_text}")
        return _pair(self.label(key), self.value(key))

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


# --- sentences of the actions whose detail is more than "label: value" -------------------------


def _export(ctx: Context) -> list[str]:
    rows, unmasked = ctx.take("rows", "unmasked")
    if rows is None:
        return []
    count = ngettext("Exported %(rows)s row", "Exported %(rows)s rows", rows if _is_id(rows) else 2)
    count %= {"rows": _count(rows)}
    if unmasked is True:
        return [count + _(", in full (with ID numbers and phones)")]
    if unmasked is False:
        return [count + _(", masked")]
    return [count]


def _import(ctx: Context) -> list[str]:
    (rows,) = ctx.take("rows")
    if rows is None:
        return []
    n = rows if _is_id(rows) else 2
    return [ngettext("Imported %(rows)s row", "Imported %(rows)s rows", n) % {"rows": _count(rows)}]


def _report(ctx: Context) -> list[str]:
    (rows,) = ctx.take("rows")
    if rows is None:
        return []
    n = rows if _is_id(rows) else 2
    return [
        ngettext("%(rows)s town or street", "%(rows)s towns and streets", n)
        % {"rows": _count(rows)}
    ]


def _move(ctx: Context) -> list[str]:
    ctx.take("from", "to")
    return [_("From “%(from)s” to “%(to)s”") % {"from": ctx.value("from"), "to": ctx.value("to")}]


def _handover(ctx: Context) -> list[str]:
    ctx.take("from", "to")
    return [
        _("Handed over from %(from)s to %(to)s")
        % {"from": ctx.value("from"), "to": ctx.value("to")}
    ]


def _remind(ctx: Context) -> list[str]:
    (count,) = ctx.take("count")
    return [_("Reminder no. %(count)s") % {"count": _count(count)}] if count is not None else []


def _letters(ctx: Context) -> list[str]:
    """Letters handled together: their numbers when the detail lists them, else how many."""
    numbers, batch = ctx.take("numbers", "batch")
    if isinstance(numbers, list) and numbers:
        return [
            ngettext(
                "%(count)s letter in all: %(numbers)s",
                "%(count)s letters in all: %(numbers)s",
                len(numbers),
            )
            % {"count": f"{len(numbers):,}", "numbers": _(", ").join(_short_numbers(numbers))}
        ]
    if _is_id(batch):
        return [
            ngettext("%(count)s letter in the batch", "%(count)s letters in the batch", batch)
            % {"count": f"{batch:,}"}
        ]
    return []


def _short_numbers(numbers: list[Any]) -> list[str]:
    """Letter numbers after the first without the prefix they share with it:
    X督报〔2026〕7号、8号 rather than X督报〔2026〕7号、X督报〔2026〕8号."""
    texts = [masked(str(n)) for n in numbers]
    first = texts[0]
    prefix = re.match(r"^(.*?)(\d+)(\D*)$", first)
    if prefix is None:
        return texts
    head = prefix.group(1)
    return [first] + [
        t[len(head) :] if t.startswith(head) and len(t) > len(head) else t for t in texts[1:]
    ]


def _viewed(ctx: Context) -> list[str]:
    (names,) = ctx.take("fields")
    if not isinstance(names, list):
        return []
    labels = [ctx.label(name) for name in names]
    return [_pair(_("Viewed in full"), _(", ").join(labels))]


SENTENCES: dict[str, Callable[[Context], list[str]]] = {
    "member.export": _export,
    "floating.export": _export,
    "campaign.export": _export,
    "member.import": _import,
    "floating.report": _report,
    "region.move": _move,
    "org.move": _move,
    "campaign.assign": _handover,
    "letter.remind": _remind,
    "letter.download": _letters,
    "letter.issue": _letters,
    "member.reveal": _viewed,
    "floating.reveal": _viewed,
}


# --- the public functions ----------------------------------------------------------------------


def sentence(
    action: str, object_type: str, detail: Mapping[str, Any] | None, names: Names | None = None
) -> str:
    """The detail of `action` on an object of `object_type` ("members.member") as a sentence.
    Unknown keys read "key: value"; nothing here raises on an unexpected shape."""
    if not isinstance(detail, Mapping) or not detail:
        return "" if not detail else masked(str(detail))
    ctx = Context(ACTIONS.get(action), object_type, detail, names)
    special = SENTENCES.get(action)
    parts = special(ctx) if special is not None else []
    return _join([*parts, *ctx.rest()])


def describe(entry: Any) -> str:
    """The action of an audit entry as a phrase (导出党员名册（完整）)."""
    return action_label(entry.action, entry.detail if isinstance(entry.detail, Mapping) else None)


def detail_sentence(entry: Any, names: Names | None = None) -> str:
    """The detail of an audit entry as a sentence. `names` from `prefetch_names` turns ids
    into names; without it (and without `annotate`) ids stay ids."""
    names = names if names is not None else getattr(entry, "_names", None)
    return sentence(entry.action, entry.object_type, entry.detail, names)


MEMBER = "members.member"


def change_phrase(change: Any) -> str:
    """A member history row's action as a phrase, the same as the audit log's."""
    return action_label(f"member.{change.action}", change.fields)


def change_sentence(change: Any) -> str:
    """A member history row's fields as a sentence, the same as the audit log's detail."""
    return sentence(f"member.{change.action}", MEMBER, change.fields)
