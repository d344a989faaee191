"""Login locks, read from the failures django-axes keeps (`AccessAttempt`).

Two kinds, both lasting AXES_COOLOFF_TIME from the last failure:
- a pair: AXES_FAILURE_LIMIT wrong passwords for one username from one address lock that
  username at that address only, so an attacker elsewhere locks out nobody but themselves;
- an address: LOGIN_ADDRESS_LIMIT failures from one address over any usernames (guessing
  accounts) refuse every login from it (`LoginForm` checks before authenticating).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.db import models
from django.db.models import Max, Sum
from django.utils import timezone

from heli.accounts.models import User
from heli.accounts.roles import lifts_every_lock

PAIR, ADDRESS = "pair", "address"


def recent() -> models.QuerySet[AccessAttempt]:
    """Failures that still count (axes forgets the older ones the same way)."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return AccessAttempt.objects.filter(attempt_time__gte=since)


def address_failures(address: str | None) -> int:
    if not address:
        return 0
    total = recent().filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


def address_throttled(address: str | None) -> bool:
    return address_failures(address) >= settings.LOGIN_ADDRESS_LIMIT


@dataclass(frozen=True)
class Lock:
    kind: str
    address: str
    failures: int
    last: dt.datetime
    username: str = ""
    user: User | None = None


def _grouped(*fields: str) -> models.QuerySet:
    return (
        recent()
        .values(*fields)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .order_by("-last")
    )


def current_locks(manager: User) -> list[Lock]:
    """The locks `manager` may see and lift: pairs of the accounts in their scope (the active
    scope's `User.in_scope`); pairs of usernames that are no account and throttled addresses
    only for a lock lifter at the zone's top (they concern the whole zone, not one
    organization)."""
    pairs = list(
        _grouped("username", "ip_address").filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    names = {pair["username"] for pair in pairs}
    visible = {
        u.username: u for u in User.in_scope.filter(username__in=names).select_related("org")
    }
    everything = lifts_every_lock(manager)
    accounts = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    locks = [
        Lock(
            PAIR,
            p["ip_address"],
            p["failures"],
            p["last"],
            p["username"],
            visible.get(p["username"]),
        )
        for p in pairs
        if p["username"] in visible or (everything and p["username"] not in accounts)
    ]
    if everything:
        addresses = _grouped("ip_address").filter(failures__gte=settings.LOGIN_ADDRESS_LIMIT)
        locks += [Lock(ADDRESS, a["ip_address"], a["failures"], a["last"]) for a in addresses]
    return locks


def lift(*, username: str | None, address: str | None) -> int:
    """Forget the failures of a username (at one address, or every address when None) or of
    an address (every username when username is None); returns the rows removed."""
    attempts = AccessAttempt.objects.all()
    if username is not None:
        attempts = attempts.filter(username=username)
    if address is not None:
        attempts = attempts.filter(ip_address=address)
    return attempts.delete()[0]
