"""Numbers read from a request (path parts, query strings, form fields), one way everywhere.

`str.isdigit` is not enough: it takes digits `int` refuses ("²") or reads from other scripts
("١٢"), and a number past 2**63-1 makes SQLite raise OverflowError instead of matching
nothing. Whatever is not a plain positive number that fits a database id is "no such object".
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2**63 - 1  # the largest value a BigAutoField (and SQLite's INTEGER) holds


def to_int(raw: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as a number in [low, high] when it is ASCII digits only, else None."""
    text = str(raw if raw is not None else "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def to_id(raw: object) -> int | None:
    """A database id (1 .. 2**63-1) from a request value, else None."""
    return to_int(raw, low=1)


def to_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among `values`, each once, in ascending order; the rest are dropped."""
    return sorted({pk for pk in map(to_id, values) if pk is not None})
