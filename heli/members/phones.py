"""Mainland China mobile numbers (手机号码)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def normalize(raw: str) -> str:
    if type(raw) is str and len(raw) == 11 and raw.isascii() and raw.isdigit():
        return raw  # the usual cell, without a regex
    number = re.sub(r"[\s\-()（）]", "", str(raw)).translate(FULL_WIDTH)
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == 11 + len(prefix):
            return number[len(prefix) :]
    return number


def validate(raw: str) -> str:
    number = normalize(raw)
    if not MOBILE.match(number):
        raise ValidationError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 13–19).")
            % {"value": raw},
            code="phone",
        )
    return number
