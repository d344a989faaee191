"""Sessions end after the idle time without being written on every page view (issue #9 part 7):
a write per request is a write-lock wait per page on SQLite while an import saves."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heli.accounts import sessions
from heli.control import todo

IDLE = 30 * 60


class Clock:
    """Time as the idle middleware and the menu counts see it, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: float = 1_900_000_000.0):
        self.now = start
        monkeypatch.setattr(sessions, "clock", lambda: self.now)
        monkeypatch.setattr(todo.time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def session_writes(client, url: str) -> tuple[int, list[str]]:
    """(status, the statements of the request that write the session table)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    table = Session._meta.db_table
    written = [
        q["sql"]
        for q in queries.captured_queries
        if table in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    return response.status_code, written


@pytest.fixture
def logged_in(world, client, settings, monkeypatch):
    settings.SESSION_COOKIE_AGE = IDLE
    clock = Clock(monkeypatch)
    client.force_login(world.users["town_admin"])
    assert client.get(reverse("control:dashboard")).status_code == 200  # stamps the session
    return client, clock


@pytest.mark.django_db
def test_the_session_is_not_saved_on_every_request(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "heli.accounts.sessions.IdleTimeoutMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_page_views_within_the_minute_do_not_write_the_session(logged_in, world):
    client, clock = logged_in
    for url in (
        reverse("control:dashboard"),
        reverse("control:member_list"),
        reverse("control:member_import"),
        reverse("control:member_detail", kwargs={"pk": world.member_a.pk}),
    ):
        clock.advance(10)
        assert session_writes(client, url) == (200, []), url


@pytest.mark.django_db
def test_a_page_view_after_a_minute_writes_the_session_once(logged_in):
    client, clock = logged_in
    clock.advance(sessions.REFRESH_SECONDS + 1)
    status, written = session_writes(client, reverse("control:member_list"))
    assert status == 200 and len(written) == 1
    assert session_writes(client, reverse("control:member_list")) == (200, [])


@pytest.mark.django_db
def test_the_menu_counts_and_the_last_seen_stamp_are_written_together(logged_in):
    client, clock = logged_in
    clock.advance(todo.BADGE_SECONDS + 1)  # the counts are stale too: one save carries both
    status, written = session_writes(client, reverse("control:dashboard"))
    assert status == 200 and len(written) == 1
    saved = client.session
    assert saved[sessions.SEEN_KEY] == clock.now and saved[todo.SESSION_KEY]["at"] == clock.now


@pytest.mark.django_db
def test_an_idle_session_ends_after_the_idle_time(logged_in):
    client, clock = logged_in
    key = client.session.session_key
    clock.advance(IDLE + 1)
    response = client.get(reverse("control:member_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("control:dashboard")).status_code == 302


@pytest.mark.django_db
def test_a_session_in_use_outlives_the_idle_time(logged_in):
    client, clock = logged_in
    for _step in range(8):  # an hour of work, a page every 9 minutes
        clock.advance(9 * 60)
        assert client.get(reverse("control:member_list")).status_code == 200


@pytest.mark.django_db
def test_a_session_just_short_of_the_idle_time_is_kept(logged_in):
    client, clock = logged_in
    clock.advance(IDLE - 1)
    assert client.get(reverse("control:member_list")).status_code == 200
