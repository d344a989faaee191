"""Audit entries and member history as people read them: the action as a phrase, the detail as
a sentence with field labels and code labels ("学历：大学本科 → 硕士研究生").

The audit log and a member's history (`MemberChange`) share this one formatter; the values
(labels, names for ids, masks) come from `heli.audit.values`. No ID number or phone appears in
full: the services store masks, and every value shown is masked again if it looks like an ID
number or a mobile number (a reason typed by a user, say).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from heli.audit.actions import ACTIONS, Disclosure
from heli.audit.actions import label as action_label
from heli.audit.values import (
    Context,
    Names,
    count_text,
    is_id,
    item_name,
    items,
    join,
    masked,
    pair,
    prefetch_names,
)

__all__ = [
    "Names", "annotate", "change_phrase", "change_sentence", "describe", "detail_sentence",
    "masked", "prefetch_names", "sentence",
]  # fmt: skip


# --- sentences of the actions whose detail is more than "label: value" -------------------------


def _export(ctx: Context) -> list[str]:
    rows, unmasked = ctx.take("rows", "unmasked")
    if rows is None:
        return []
    count = ngettext("Exported %(rows)s row", "Exported %(rows)s rows", rows if is_id(rows) else 2)
    count %= {"rows": count_text(rows)}
    if unmasked is True:
        return [count + _(", in full (with ID numbers and phones)")]
    if unmasked is False and ctx.action is not None and ctx.action.variant is not None:
        # Only a list that could be exported in full says it was not (the member roll).
        return [count + _(", masked")]
    return [count]


def _import(ctx: Context) -> list[str]:
    # Imports that update registered members say how many were added and how many updated;
    # older entries hold the rows imported.
    rows, created, updated = ctx.take("rows", "created", "updated")
    parts = []
    if rows is not None:
        n = rows if is_id(rows) else 2
        parts.append(
            ngettext("Imported %(rows)s row", "Imported %(rows)s rows", n)
            % {"rows": count_text(rows)}
        )
    if created is not None:
        n = created if is_id(created) else 2
        parts.append(
            ngettext("%(n)s new member added", "%(n)s new members added", n)
            % {"n": count_text(created)}
        )
    if updated is not None:
        n = updated if is_id(updated) else 2
        parts.append(
            ngettext("%(n)s member updated", "%(n)s members updated", n)
            % {"n": count_text(updated)}
        )
    return parts


def _report(ctx: Context) -> list[str]:
    (rows,) = ctx.take("rows")
    if rows is None:
        return []
    n = rows if is_id(rows) else 2
    return [
        ngettext("%(rows)s town or street", "%(rows)s towns and streets", n)
        % {"rows": count_text(rows)}
    ]


def _move(ctx: Context) -> list[str]:
    ctx.take("from", "to")
    return [_("From “%(from)s” to “%(to)s”") % {"from": ctx.value("from"), "to": ctx.value("to")}]


def _handover(ctx: Context) -> list[str]:
    """One task handed from one worker to another, or a batch handed to one worker."""
    tasks = ctx.take("tasks", "count")[0]
    if isinstance(tasks, list):
        ctx.take("to")
        moved = [_moved(task) for task in tasks if isinstance(task, Mapping)]
        return [
            ngettext(
                "%(count)s task handed over to %(to)s: %(items)s",
                "%(count)s tasks handed over to %(to)s: %(items)s",
                len(tasks),
            )
            % {"count": f"{len(tasks):,}", "to": ctx.value("to"), "items": items(moved)}
        ]
    ctx.take("from", "to")
    return [
        _("Handed over from %(from)s to %(to)s")
        % {"from": ctx.value("from"), "to": ctx.value("to")}
    ]


def _moved(task: Mapping[str, Any]) -> str:
    member = masked(str(task.get("member") or f"#{task.get('id')}"))
    before = task.get("from")
    return _("%(member)s (was %(from)s)") % {"member": member, "from": before} if before else member


def _remind(ctx: Context) -> list[str]:
    if isinstance(ctx.detail.get("letters"), list):
        return _letters(ctx)  # a batch: the count is the number of letters
    (count,) = ctx.take("count")
    return [_("Reminder no. %(count)s") % {"count": count_text(count)}] if count is not None else []


def _letters(ctx: Context) -> list[str]:
    """Letters handled together: their numbers (a batch is one entry), or how many were in
    the download (entries written before batches named their letters)."""
    letters, batch = ctx.take("letters", "batch")
    if isinstance(letters, list) and letters:
        ctx.take("count")
        numbers = [item_name(x) if isinstance(x, Mapping) else str(x) for x in letters]
        return [
            ngettext(
                "%(count)s letter in all: %(numbers)s",
                "%(count)s letters in all: %(numbers)s",
                len(letters),
            )
            % {"count": f"{len(letters):,}", "numbers": items(_short_numbers(numbers))}
        ]
    if is_id(batch):
        return [
            ngettext("%(count)s letter in the batch", "%(count)s letters in the batch", batch)
            % {"count": f"{batch:,}"}
        ]
    return []


def _short_numbers(numbers: list[str]) -> list[str]:
    """Letter numbers after the first without the prefix they share with it:
    X督报〔2026〕7号、8号 rather than X督报〔2026〕7号、X督报〔2026〕8号."""
    texts = [masked(n) for n in numbers]
    first = texts[0]
    prefix = re.match(r"^(.*?)(\d+)(\D*)$", first)
    if prefix is None:
        return texts
    head = prefix.group(1)
    return [first] + [
        t[len(head) :] if t.startswith(head) and len(t) > len(head) else t for t in texts[1:]
    ]


def _batch(key: str, singular: str, plural: str) -> Callable[[Context], list[str]]:
    """A batch naming its objects under `key` ({"count": 3, key: [{"id", "name"}, …]})."""

    def sentence(ctx: Context) -> list[str]:
        objects = ctx.detail.get(key)
        if not isinstance(objects, list):
            return []
        ctx.take(key, "count")
        names = [item_name(o) if isinstance(o, Mapping) else str(o) for o in objects]
        texts = [masked(name) for name in names]
        return [
            ngettext(singular, plural, len(objects))
            % {"count": f"{len(objects):,}", "items": items(texts)}
        ]

    return sentence


def _viewed(ctx: Context) -> list[str]:
    (names,) = ctx.take("fields")
    if not isinstance(names, list):
        return []
    labels = [ctx.label(name) for name in names]
    return [pair(_("Viewed in full"), _(", ").join(labels))]


SENTENCES: dict[str, Callable[[Context], list[str]]] = {
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
    "checkin.confirm": _batch(
        "pending", "%(count)s person in all: %(items)s", "%(count)s people in all: %(items)s"
    ),
    "checkin.reject": _batch(
        "pending", "%(count)s person in all: %(items)s", "%(count)s people in all: %(items)s"
    ),
    "checkin.verify": _batch(
        "check_ins", "%(count)s person in all: %(items)s", "%(count)s people in all: %(items)s"
    ),
    "checkin.deny": _batch(
        "check_ins", "%(count)s person in all: %(items)s", "%(count)s people in all: %(items)s"
    ),
    "station.posters": _batch(
        "stations", "%(count)s station in all: %(items)s", "%(count)s stations in all: %(items)s"
    ),
}
# Every export reads the same: how many rows, in full or masked, then its list and filters.
SENTENCES.update(
    {
        code: _export
        for code, a in ACTIONS.items()
        if a.discloses is Disclosure.EXPORT and code not in SENTENCES
    }
)


# --- the public functions ----------------------------------------------------------------------


def annotate(entries: Iterable[Any]) -> list[Any]:
    """The entries, each carrying the names of one shared prefetch, so that their
    `detail_text` and `org_name` cost no query of their own. For a page of the audit log."""
    entries = list(entries)
    names = prefetch_names(entries)
    for entry in entries:
        entry._names = names
    return entries


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
    return join([*parts, *ctx.rest()])


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
