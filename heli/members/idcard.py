"""Resident identity card numbers (居民身份证号码, GB 11643-1999): normalizing and checking."""

from __future__ import annotations

import datetime as dt
import operator
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CODES = "10X98765432"
# ASCII digits only: \d would also take other scripts' digits (٣, ३), which int() reads.
SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
SPACES = re.compile(r"\s+")
FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def normalize(raw: str) -> str:
    """Full-width digits to ASCII, lower-case x to X, spaces removed."""
    if type(raw) is str and len(raw) == 18 and raw[:17].isascii() and raw[:17].isdigit():
        return raw if raw[17] != "x" else raw[:17] + "X"  # the usual case, without a regex
    return SPACES.sub("", str(raw)).translate(FULL_WIDTH).upper()


# Each ASCII digit's byte is 48 more than its value: the weighted sum of the bytes, less this.
_BYTE_OFFSET = 48 * sum(WEIGHTS)


def check_code(first17: str) -> str:
    """The 18th character for 17 ASCII digits (GB 11643: weighted sum modulo 11)."""
    return CHECK_CODES[(sum(map(operator.mul, first17.encode(), WEIGHTS)) - _BYTE_OFFSET) % 11]


def birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd for men)."""
    return "M" if int(number[16]) % 2 else "F"


def validate(raw: str, *, today: dt.date | None = None) -> str:
    """The normalized number, or a ValidationError that says in Chinese what is wrong."""
    number = normalize(raw)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d.") % {"n": len(number)},
            code="id_length",
        )
    if not SHAPE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_shape"
        )
    born = birth_date(number)
    today = today or timezone.localdate()
    if born is None or born > today or born.year < 1850:
        raise ValidationError(
            _("The birth date inside the ID number (%(digits)s) is not a real date.")
            % {"digits": number[6:14]},
            code="id_birth_date",
        )
    expected = check_code(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The check code of the ID number is wrong (the last character should be %(code)s).")
            % {"code": expected},
            code="id_check_code",
        )
    return number


def make(area: str, born: dt.date, sequence: int) -> str:
    """A valid number for an area code, birth date and 3-digit sequence (test and demo data)."""
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_code(first17)
