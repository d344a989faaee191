"""The idle timeout of a session (HELI_SESSION_IDLE_MINUTES), without a write per request.

Django's way to end idle sessions is to save the session on every request
(SESSION_SAVE_EVERY_REQUEST), which makes every page view a database write: on SQLite each
one waits for the write lock, and while a large import saves, pages fail. Here the session
keeps a last-seen stamp instead, refreshed at most once every REFRESH_SECONDS (and for free
whenever the session is written anyway, such as when the menu counts are refreshed), so a user
browsing writes their session about once a minute at most.

A session whose stamp is older than the idle time is ended on its next request (the user
meets the login page). Since the stamp is refreshed only once a minute, a session ends between
IDLE-1 and IDLE minutes after its last request, never later. Each save also moves the
session's expiry in the database to the stamp plus SESSION_COOKIE_AGE (the idle time), so the
database drops idle sessions at the same moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "heli_seen"
REFRESH_SECONDS = 60


def clock() -> float:
    """Seconds since the epoch (a function of its own, for tests to move time)."""
    return time.time()


def idle_seconds() -> int:
    return settings.SESSION_COOKIE_AGE


class IdleTimeoutMiddleware:
    """Ends idle sessions before the user is loaded (placed right after SessionMiddleware) and
    refreshes the stamp on the way out, before SessionMiddleware saves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        now = clock()
        seen = session.get(SEEN_KEY)
        if seen is not None and now - seen > idle_seconds():
            session.flush()  # logged out: the user is read from the emptied session
        response = self.get_response(request)
        session = request.session
        if session.is_empty():
            return response
        seen = session.get(SEEN_KEY)
        if session.modified or seen is None or now - seen >= REFRESH_SECONDS:
            session[SEEN_KEY] = now
        return response
