"""Never a server error: every named URL of the matrix, requested with path parameters and
query parameters set to huge (past SQLite's 64-bit integers), negative, zero, non-numeric,
unicode-digit and NUL-carrying values, by GET and (for pages that take a POST) by POST with
those values in every form field. Any answer is fine except a 500.

A plain table-driven walk: the same requests in the same order on every run. The district
admin (sees everything) walks every part; the grid worker (a lesser role in a smaller scope)
walks the query strings, where the scope narrows what the parameters reach.
"""

from __future__ import annotations

import traceback
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.test_url_matrix import MATRIX, Route, _allowed, _resolve

# Past SQLite's integer range (2**63), far past it, negative, zero, not a number, text with
# quotes and markup, digits `str.isdigit` accepts but `int` refuses (²) or reads (١٢), and NUL,
# which PostgreSQL refuses in any text.
VALUES = [
    str(2**63),
    str(10**30),
    "-1",
    "0",
    "abc",
    "网格'\"<x>",
    "²",
    "١٢",
    "a\x00b",
]
PATH_VALUES = [*VALUES[:-1], "a%00b"]  # NUL in a path, as a browser sends it

# Every query parameter a page reads: the list state, filters, batch ids, search, exports.
QUERY_KEYS = (
    "q",
    "find",
    "sort",
    "size",
    "page",
    "ids",
    "grid",
    "grids",
    "grid_page",
    "status",
    "kind",
    "level",
    "category",
    "year",
    "since",
    "until",
    "town",
    "region",
    "org",
    "orgs",
    "place",
    "station",
    "member",
    "role",
    "direction",
    "state",
    "overdue",
    "mine",
    "unmasked",
    "success",
    "action",
    "actor",
    "parent",
    "external",
    "path",
    "format",
    "next",
    "confirm",
    "reason",
    "assignee",
    "gender",
    "age",
    "education",
    "joined",
    "type",
    "language",
)

# Fields posted to POST-only actions that show no form of their own.
POST_FIELDS = ("pick", "next", "reason", "note", "format", "sent_on", "assignee", "confirm")


class FormFields(HTMLParser):
    """The names of a page's inputs, selects and textareas."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        name = dict(attrs).get("name")
        if tag in ("input", "select", "textarea") and name and name != "csrfmiddlewaretoken":
            self.names.add(name)


def _kwargs(world, route: Route) -> dict:
    target = route.targets[0] if route.targets else None
    if target is None:
        return {}
    return {target.kwarg: _resolve(world, target), **target.extra}


def _with_path_value(name: str, kwargs: dict, key: str, value: str) -> str | None:
    """The URL with one path part replaced by `value` (a sentinel reversed, then swapped)."""
    for sentinel in (987654321, "zqzqzq"):
        try:
            url = reverse(name, kwargs={**kwargs, key: sentinel})
        except NoReverseMatch:
            continue
        return url.replace(str(sentinel), value)
    return None


def _where(exc: BaseException) -> str:
    """The innermost frame of heli's own code the exception passed through."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/heli/" in f.filename]
    return f"{frames[-1].filename.split('/heli/')[-1]}:{frames[-1].lineno}" if frames else "?"


def _request(client: Client, method: str, url: str, data: dict | None, failures: list) -> str:
    """The page's HTML (for its form fields); a server error is added to `failures`."""
    shown = f"{method.upper()} {url} {sorted(set((data or {}).values()))}"
    try:
        response = getattr(client, method)(url, data or {})
    except Exception as exc:  # the test client re-raises what the view raised
        failures.append(f"{type(exc).__name__} at {_where(exc)}: {shown}")
        return ""
    if response.status_code >= 500:
        failures.append(f"{response.status_code}: {shown}")
    if response.streaming:  # a download: read to the end, which closes its file
        b"".join(response.streaming_content)
        return ""
    return response.content.decode(errors="replace") if method == "get" else ""


def _query(value: str, index: int) -> dict:
    data = dict.fromkeys(QUERY_KEYS, value)
    # Every third request asks for the export, the next for the print view, with the same junk.
    if index % 3 == 1:
        data["export"] = "xlsx"
    elif index % 3 == 2:
        data["print"] = "1"
    return data


def walk(client: Client, world, name: str, *, paths: bool, posts: bool) -> list[str]:
    route = MATRIX[name]
    kwargs = _kwargs(world, route)
    url = reverse(name, kwargs=kwargs)
    failures: list[str] = []
    fields: set[str] = set(POST_FIELDS)
    for index, value in enumerate(VALUES):
        page = _request(client, route.method, url, _query(value, index), failures)
        parser = FormFields()
        parser.feed(page)
        fields |= parser.names
    if paths:
        for key in kwargs:
            for value in PATH_VALUES:
                fuzzed = _with_path_value(name, kwargs, key, value)
                if fuzzed is not None:
                    _request(client, route.method, fuzzed, None, failures)
    if posts:
        for value in VALUES:
            _request(client, "post", url, dict.fromkeys(sorted(fields), value), failures)
    return failures


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_url_answers_a_server_error_whatever_its_parameters(name, world):
    client = Client()
    client.force_login(world.users["district_admin"])
    failures = walk(client, world, name, paths=True, posts=True)
    client.force_login(world.users["grid_worker"])
    failures += walk(client, world, name, paths=False, posts=False)
    # 三权分立: the account, role and lock pages answer the district 403; their holders walk them.
    right = MATRIX[name].right
    for role in ("system_admin", "security_admin"):
        if _allowed(role, right) and not _allowed("district_admin", right):
            client.force_login(world.users[role])
            failures += walk(client, world, name, paths=True, posts=True)
    assert not failures, "\n".join(failures)


def test_no_page_outside_the_staff_matrix_answers_a_server_error(world, settings):
    """The station's public page and its check-in form, the login and the language switch,
    as an anonymous visitor (the check-in limits raised so that the walk is not refused)."""
    settings.CHECKIN_LIMIT_PER_ADDRESS = settings.CHECKIN_LIMIT_PER_STATION = 1000
    client = Client()
    token = world.station_a.token
    failures: list[str] = []
    for value in PATH_VALUES:
        _request(client, "get", f"/s/{value}/", None, failures)
        _request(client, "get", f"/s/{value}/done/", None, failures)
    for page in (f"/s/{token}/", f"/s/{token}/done/", "/login/", "/i18n/setlang/"):
        fields = set(POST_FIELDS) | {"language", "username", "password"}
        for index, value in enumerate(VALUES):
            parser = FormFields()
            parser.feed(_request(client, "get", page, _query(value, index), failures))
            fields |= parser.names
        for value in VALUES:
            _request(client, "post", page, dict.fromkeys(sorted(fields), value), failures)
    assert not failures, "\n".join(failures)
