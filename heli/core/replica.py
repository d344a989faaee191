"""Reads of list and report pages from a PostgreSQL streaming replica (off unless
`HELI_REPLICA_DATABASE_URL` is set).

Only what a page marks with `reads_replica` (every list, its print view and export; the desk and
the reports) reads from the replica, and only for a GET or HEAD outside a transaction. Every
write, every read inside a transaction (`transaction.atomic`: services, the audit chain) and
every read of any other page, of the session and login, of a background job or a command goes
to the primary. A model object read from the replica is saved to the primary like any other.

Read-your-writes: a streaming replica replays the primary's changes a little later (measured
here: 0.2 s typical, 0.6 s at most while 2,000,000 rows were written; docs/scaling.md). So that
whoever has just changed something sees it on the next page, `ReadYourWritesMiddleware` sets a
cookie on every successful POST (or other unsafe method) of a logged-in user that keeps that
browser's pages on the primary for `HELI_REPLICA_STICKY_SECONDS` (10 by default: the redirect
after the POST and the page or two after it, with fifteen times the worst lag seen as room for
a busier replica). A cookie, not the session: it costs no database write, and each server of
several reads it alike.

Scoping works unchanged: the scoped managers filter by the request's scope whichever database
answers; the router only chooses the connection.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import dj_database_url
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
ROUTER = "heli.core.replica.ReplicaRouter"
STICKY_COOKIE = "heli_primary"
READ_METHODS = frozenset({"GET", "HEAD"})

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "heli_replica_reads", default=False
)


def configure(databases: dict[str, dict], url: str | None, conn_max_age: int) -> list[str]:
    """Add the replica's alias to `databases` when `url` is set; the routers to install. The
    test runner does not create the replica's database: it mirrors the primary's (a streaming
    replica holds whatever the primary holds)."""
    if not url:
        return []
    databases[REPLICA] = {
        **dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True),
        "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
    }
    return [ROUTER]


def enabled() -> bool:
    """A replica is configured (`configure` installs the router with the alias)."""
    return ROUTER in settings.DATABASE_ROUTERS


@contextmanager
def replica_reads(allowed: bool = True) -> Iterator[None]:
    """Within: reads outside a transaction go to the replica (when one is configured)."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def may_read_replica(request: HttpRequest) -> bool:
    """A GET or HEAD of a browser that has not just changed something."""
    if request.method not in READ_METHODS:
        return False
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0")) <= time.time()
    except ValueError:
        return True


def reads_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only list or report view: its reads may come from the replica."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with replica_reads(may_read_replica(request)):
            return view(request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Writes, and reads in a transaction or outside a marked page, to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _replica_reads.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReadYourWritesMiddleware:
    """After a successful change, keep this browser's pages on the primary for a few seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method not in READ_METHODS
            and request.method != "OPTIONS"
            and response.status_code < 400
            and user is not None
            and user.is_authenticated  # staff: a phone's check-in reads no list afterwards
            and enabled()
        ):
            seconds = settings.HELI_REPLICA_STICKY_SECONDS
            response.set_cookie(
                STICKY_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
