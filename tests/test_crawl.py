"""Every link a page shows resolves for the user who sees it: for each role, start at the desk,
follow every link of every page reached, and fail on any 4xx or 5xx answer (the page that
showed the link is named)."""

from __future__ import annotations

from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.world import ROLES

# Enough to reach every page of the small world; each path is followed at most PER_PATH times
# with different query strings (sort, filter and page links multiply them).
LIMIT = 300
PER_PATH = 6
SKIP_PREFIXES = ("/static/", "/logout/")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str, base: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or parts.path.startswith(SKIP_PREFIXES):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client) -> tuple[list[str], int]:
    """(problems, pages requested) of a crawl from the desk."""
    seen = {"/"}
    queue = deque([("/", "(start)")])
    per_path: Counter = Counter()
    problems = []
    requested = 0
    while queue and requested < LIMIT:
        url, source = queue.popleft()
        response = client.get(url)
        requested += 1
        if response.status_code >= 400:
            problems.append(f"{response.status_code} {url} (linked from {source})")
            continue
        if response.status_code in (301, 302):
            target = response["Location"]
            if target not in seen and not target.startswith("/login/"):
                seen.add(target)
                queue.append((target, url))
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for link in links_of(response.content.decode(), url):
            path = urlsplit(link).path
            if link in seen or per_path[path] >= PER_PATH:
                continue
            seen.add(link)
            per_path[path] += 1
            queue.append((link, url))
    return problems, requested


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_every_page_resolves_for_each_role(role, world, client):
    client.force_login(world.users[role])
    problems, requested = crawl(client)
    # The three administrators (三权分立) have a page or two each, not the lists of members.
    least = 5 if role in ("system_admin", "security_admin", "audit_admin") else 30
    assert requested > least, "the crawl should reach the lists and the detail pages"
    assert not problems, "\n".join(problems)
