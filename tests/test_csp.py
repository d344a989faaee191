"""The Content-Security-Policy: every response carries one without inline script, and no page
relies on what it forbids (inline scripts and styles, event-handler attributes, javascript:
URLs). The browser tests fail on any violation the browser reports (tests/browser/conftest.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from tests.test_url_matrix import MATRIX, RIGHTS, _resolve
from tests.world import ROLES

HELI = Path(__file__).resolve().parent.parent / "heli"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class Forbidden(HTMLParser):
    """Collects what the policy refuses: an inline <script> (not data) or <style>, an on…=
    attribute, a style= attribute, a javascript: URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        # json_script's data (type application/json) is never run: the policy lets it be.
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            elif name == "style":
                self.found.append(f"style= on <{tag}>")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")


def forbidden_in(html: str) -> list[str]:
    parser = Forbidden()
    parser.feed(html)
    return parser.found


def test_the_checker_finds_each_forbidden_thing():
    html = (
        '<script>alert(1)</script><script src="/static/x.js"></script><style>p{}</style>'
        '<script id="data" type="application/json">{"a": 1}</script>'
        '<a href="JavaScript:history.back()" onclick="x()">x</a><div style="width: 1px"></div>'
    )
    assert forbidden_in(html) == [
        "<script> without src",
        "<style> element",
        "javascript: URL on <a>",
        "onclick= on <a>",
        "style= on <div>",
    ]


@pytest.mark.django_db
def test_every_response_carries_a_policy_without_inline_script(client):
    policy = policy_of(client.get(reverse("login")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_answers_that_are_no_page_carry_the_policy_too(world, client):
    client.force_login(world.users["district_admin"])
    svg = reverse("control:station_poster_svg", kwargs={"pk": world.station_a.pk})
    missing = reverse("control:member_detail", kwargs={"pk": 10**9})
    for response in (client.get(svg), client.get(missing)):
        assert "script-src 'self'" in response["Content-Security-Policy"]


def templates() -> list[Path]:
    return sorted(HELI.glob("*/templates/**/*.html"))


def test_no_template_holds_inline_script_style_or_handlers():
    assert len(templates()) > 50
    # Template tags may hide a tag's end from the parser: read the template text as well.
    tag_pattern = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\son[a-z]+\s*=|\sstyle=")
    found = {}
    for path in templates():
        text = path.read_text()
        problems = forbidden_in(text) + tag_pattern.findall(text)
        problems += ["javascript: URL"] if "javascript:" in text.lower() else []
        if problems:
            found[str(path.relative_to(HELI))] = problems
    assert not found, found


def _pages(world):
    """Each staff page of the URL matrix opened by GET, as the first role that may open it."""
    for name, route in sorted(MATRIX.items()):
        if route.method != "get":
            continue
        for role in ROLES:
            if route.right not in RIGHTS[role]:
                continue
            targets = [t for t in route.targets if role in t.visible_to]
            if route.targets and not targets:
                continue
            target = targets[0] if targets else None
            kwargs = {target.kwarg: _resolve(world, target), **target.extra} if target else {}
            yield role, reverse(name, kwargs=kwargs) + route.query
            break


@pytest.mark.django_db
def test_no_rendered_page_holds_inline_script_style_or_handlers(world, client):
    found, pages = {}, 0
    for role, url in _pages(world):
        client.force_login(world.users[role])
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html") or response.status_code != 200:
            continue
        pages += 1
        problems = forbidden_in(response.content.decode())
        if problems:
            found[url] = sorted(set(problems))
    client.logout()
    public = reverse("public:station", kwargs={"token": world.station_a.token})
    problems = forbidden_in(client.get(public).content.decode())
    if problems:
        found[public] = problems
    assert pages >= 50
    assert not found, found
