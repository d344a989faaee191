"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

One browser for the whole session, a fresh browser context (cookies, storage) per test, and the
real demo zone built anew for every test (the live server needs the transactional database,
which is emptied after each test).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread (inside a greenlet). Django
# sees that running loop and refuses ORM calls from the test body (and from the fixtures that
# build and flush the database) with SynchronousOnlyOperation, although they are plain blocking
# calls in a thread of their own. The loop never runs concurrently with them, so it is safe to
# tell Django to allow them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("HELI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
# The browser announces Chinese, as the users' do (heli answers in Chinese whatever it says).
BROWSER_LOCALE = "zh-CN"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, once per session. A missing executable fails the tests: no skipping."""
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (install Debian's chromium or set HELI_CHROMIUM): "
            "the browser tests cannot run.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser refused under heli's Content-Security-Policy during this test (each
    one fails the test: a page that relies on inline script or style is broken for users)."""
    return []


@pytest.fixture
def new_context(browser, live_server, csp_violations):
    """Open browser contexts for this test (closed at its end); keyword arguments go to
    Playwright's `new_context` (a phone's viewport, say)."""
    opened, script_errors = [], []

    def watch(message) -> None:
        # Chromium reports each refusal as a console error naming the policy.
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_violations.append(f"{message.location.get('url')}: {message.text}")

    def open_context(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", BROWSER_LOCALE)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("weberror", lambda error: script_errors.append(str(error.error)))
        context.on("console", watch)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()
    assert not script_errors, f"uncaught JavaScript errors: {script_errors}"
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def zone(live_server, transactional_db):
    """The real demo zone (6 towns and streets, 337 grids, demo accounts), built in bulk."""
    from heli.core.scoping import Scope, activate
    from heli.demo.zone import build_zone

    with activate(Scope.everything()):
        return build_zone()
