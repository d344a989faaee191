"""Logins, logouts and failed logins go to the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
