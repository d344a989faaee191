"""ID numbers and phones written into free text (notes, places, reasons, addresses).

They belong in their encrypted fields, so new text holding one is refused (`refuse_numbers`,
a validator on every free-text field of a form, and the import's text columns). Text written
before the rule, and history that is never rewritten (audit entries, member history), may
still hold one: every page, print view, masked export and history sentence shows free text
through `mask`, with the masks of the dedicated fields (a phone keeps its first three and last
four digits, any other number its last two characters). The unmasked export, audited, gives the
text as stored.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heli.core import crypto

# Written as people write them: a mobile in groups (138 1234 5678, 138-1234-5678), a landline
# with its area code (0512-12345678), an ID number of 18 characters (or 15 digits, the old
# form), and any other run of 11 or more digits (a bank card). `\d` also matches full-width
# and other scripts' digits: those hide nothing from a reader either.
_SEP = r"[ \-]?"
NUMBER = re.compile(
    r"(?<!\d)(?:"
    r"\d{17}[\dXx]"  # ID number
    rf"|1\d{{2}}{_SEP}\d{{4}}{_SEP}\d{{4}}"  # mobile
    rf"|0\d{{2,3}}{_SEP}\d{{7,8}}"  # landline with area code
    r"|\d{11,}"  # any other long number
    r")(?![\dXx])"
)
MOBILE = re.compile(r"1[3-9]\d{9}")


def _masked(match: re.Match[str]) -> str:
    digits = "".join(str(unicodedata.decimal(c, c)) for c in match.group() if c not in " -")
    if MOBILE.fullmatch(digits):
        return crypto.mask_phone(digits)
    return crypto.mask_id(digits)


def mask(text: Any) -> Any:
    """`text` with every number it holds masked; anything not a string as it is."""
    if not isinstance(text, str) or not text:
        return text
    return NUMBER.sub(_masked, text)


def numbers_in(text: str) -> list[str]:
    return [match.group() for match in NUMBER.finditer(text or "")]


def refuse_numbers(value: Any) -> None:
    """The validator of free-text fields: no ID number or phone in them."""
    if isinstance(value, str) and NUMBER.search(value):
        raise ValidationError(refusal(value), code="personal_number")


def refusal(value: str) -> str:
    return _(
        "Do not write ID numbers or phone numbers here (%(numbers)s): they are kept only in "
        "their own fields, encrypted."
    ) % {"numbers": "、".join(mask(n) for n in numbers_in(value))}


def keep_masked(submitted: str, stored: str) -> str:
    """The text a form sends back where it showed `stored` masked: each mask still in it
    stands again for the number it hid (so editing a note never loses the number in it, and
    never shows it)."""
    if not submitted or not stored:
        return submitted
    for number in numbers_in(stored):
        shown = mask(number)
        if shown in submitted:
            submitted = submitted.replace(shown, number, 1)
    return submitted


class FreeTextForm:
    """A form mixin: the fields named in `free_text` refuse numbers, and a model form shows
    the instance's text masked and keeps what each mask hid (`keep_masked`)."""

    free_text: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.free_text:
            if name in self.fields:
                self.fields[name].validators.append(refuse_numbers)
                if self.initial.get(name):
                    self.initial[name] = mask(self.initial[name])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None:
            for name in self.free_text:
                if isinstance(cleaned.get(name), str):
                    cleaned[name] = keep_masked(cleaned[name], getattr(instance, name, "") or "")
        return cleaned
