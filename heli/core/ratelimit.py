"""Fixed-window rate limits shared by every worker process, kept in the database.

One atomic upsert per hit (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which SQLite ≥ 3.35
and PostgreSQL both have), so counting is exact across gunicorn workers without another service.
"""

from __future__ import annotations

import time

from django.db import connection, models

from heli.core.models import RateCounter


def _slot(seconds: int, now: float | None) -> int:
    moment = now if now is not None else time.time()
    return int(moment // seconds) * seconds


def within_each(limits: dict[str, int], seconds: int, *, now: float | None = None) -> dict:
    """Count one hit on each key of `limits` ({key: limit}) in one statement; {key: whether
    it is still within its limit in the current window}."""
    slot = _slot(seconds, now)
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    keys = [key[:200] for key in limits]
    rows = ", ".join(["(%s, %s, 1)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {quote('slot')}, {quote('hits')}) "
            f"VALUES {rows} ON CONFLICT ({quote('key')}, {quote('slot')}) "
            f"DO UPDATE SET {quote('hits')} = {table}.{quote('hits')} + 1 "
            f"RETURNING {quote('key')}, {quote('hits')}",
            [value for key in keys for value in (key, slot)],
        )
        hits = dict(cursor.fetchall())
    return {key: hits[key[:200]] <= limit for key, limit in limits.items()}


def hit_all(limits: dict[str, int], seconds: int, *, now: float | None = None) -> bool:
    """Count one hit on each key of `limits`; False once any key is past its limit."""
    return all(within_each(limits, seconds, now=now).values())


def take_back(key: str, seconds: int, *, now: float | None = None) -> None:
    """Uncount a hit counted in the same window (`now` as it was then): a request refused
    for another key's sake."""
    RateCounter.objects.filter(key=key[:200], slot=_slot(seconds, now)).update(
        hits=models.F("hits") - 1
    )


def hit(key: str, limit: int, seconds: int, *, now: float | None = None) -> bool:
    """Count one hit on `key`; False once more than `limit` hits fall in the current window."""
    return hit_all({key: limit}, seconds, now=now)


def forget_older_than(seconds: int, *, now: float | None = None) -> int:
    """Delete the counters of windows that started more than `seconds` ago."""
    moment = now if now is not None else time.time()
    return RateCounter.objects.filter(slot__lt=moment - seconds).delete()[0]
