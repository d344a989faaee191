"""Numbers read from a request (path parts, query strings, form fields), one way everywhere.

`str.isdigit` is not enough: it takes digits `int` refuses ("²") or reads from other scripts
("١٢"), and a number past 2**63-1 makes SQLite raise OverflowError instead of matching
nothing. Whatever is not a plain positive number that fits a database id is "no such object".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict

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


def to_text(raw: object) -> str:
    """A text parameter a view reads itself (not through a form) for a query: "" when it holds
    NUL, which PostgreSQL refuses in any text. The middleware below refuses NUL in URLs and
    plain forms; this covers fields of a multipart POST, which it leaves alone."""
    text = str(raw if raw is not None else "")
    return "" if "\x00" in text else text


def to_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among `values`, each once, in ascending order; the rest are dropped."""
    return sorted({pk for pk in map(to_id, values) if pk is not None})


class RefuseNulMiddleware:
    """A request whose path, query string or posted form holds NUL is a bad request (400),
    before any view reads it: no page has a use for the character, and PostgreSQL refuses it
    in any text with an error (a 500) wherever a parameter reaches a query. Uploads
    (multipart) are left alone: reading them here would fix their upload handlers before the
    import view sets its size limit; their text fields go through forms, which refuse NUL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sources = [request.GET]
        if request.content_type == "application/x-www-form-urlencoded":
            sources.append(request.POST)
        if "\x00" in request.path or any(_holds_nul(source) for source in sources):
            raise BadRequest("NUL in the request")
        return self.get_response(request)


def _holds_nul(data: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )
