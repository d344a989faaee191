"""Logins, logouts, failed logins and login locks go to the audit log."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from heli.accounts import locks
from heli.audit.services import Actor, client_address, record


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    record(Actor(user=user, ip_address=client_address(request)), "login", user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(Actor(user=user, ip_address=client_address(request)), "logout", user)


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first()
    actor = Actor(user=known, ip_address=client_address(request) if request else None)
    record(actor, "login.failed", success=False, username=username)
    # axes counted this failure before (its receiver is connected first): the one that reaches
    # the limit starts the address's throttle; later attempts are refused before they count.
    if (
        actor.ip_address
        and locks.address_failures(actor.ip_address) == settings.LOGIN_ADDRESS_LIMIT
    ):
        detail = {"address": actor.ip_address, "kind": locks.ADDRESS}
        record(
            Actor(user=None, ip_address=actor.ip_address),
            "account.lock",
            success=False,
            detail=detail,
            username="",
        )


@receiver(user_locked_out)
def audit_lock(sender, request, username, ip_address, **kwargs) -> None:
    """A (username, address) pair got locked. axes also sends this for each attempt refused
    during the lock; only the failure that started it has counted failures on the request."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    known = get_user_model().objects.filter(username=username).first()
    detail = {"username": username, "address": ip_address, "kind": locks.PAIR}
    actor = Actor(user=known, ip_address=ip_address)
    record(actor, "account.lock", known, success=False, detail=detail, username=username)
