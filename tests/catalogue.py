"""The messages heli's code and templates ask to translate, found the way `makemessages` finds
them (Django's `templatize` for templates) but with Babel, so no system gettext is needed."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent / "heli"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}


def _ids(source: str) -> set[str]:
    found = set()
    for _line, func, message, _comments in extract_python(
        io.BytesIO(source.encode()), KEYWORDS, [], {"encoding": "utf-8"}
    ):
        # pgettext's first argument is the context; its message comes second.
        at = 1 if func in ("pgettext", "pgettext_lazy") else 0
        first = message[at] if isinstance(message, tuple) else message
        if first:
            found.add(first)
    return found


def wanted() -> set[str]:
    """Every msgid of heli's Python files and templates (migrations aside)."""
    ids: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" not in path.parts:
            ids |= _ids(path.read_text(encoding="utf-8"))
    for path in ROOT.rglob("*.html"):
        ids |= _ids(templatize(path.read_text(encoding="utf-8"), origin=str(path)))
    return ids


def translated(language: str = "zh_Hans") -> set[str]:
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    return {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }


if __name__ == "__main__":  # python -m tests.catalogue: the msgids still to translate
    import django

    django.setup()
    for message in sorted(wanted() - translated()):
        print(repr(message))
