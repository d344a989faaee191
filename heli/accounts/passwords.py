"""Password rules of government systems: at least 3 of the 4 character classes."""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    CLASSES = (
        set(string.ascii_uppercase),
        set(string.ascii_lowercase),
        set(string.digits),
        set(string.punctuation + " "),
    )

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def classes_in(self, password: str) -> int:
        return sum(1 for chars in self.CLASSES if any(c in chars for c in password))

    def validate(self, password: str, user=None) -> None:
        if self.classes_in(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "The password must contain at least %(n)d of: upper-case letters, lower-case "
            "letters, digits, symbols."
        ) % {"n": self.min_classes}
