"""Password rules of government systems: at least 3 of the 4 character classes, none of the
last five, none older than 90 days, never the demo's published one outside the demo."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

# The demo's accounts share this password (heli.demo.zone.DEMO_PASSWORD); kept here so that
# the accounts app does not depend on the demo. Compared without regard to case.
DEMO_PASSWORDS = {"heli#2026"}


class CharacterClassValidator:
    CLASSES = (
        set(string.ascii_uppercase),
        set(string.ascii_lowercase),
        set(string.digits),
        set(string.punctuation + " "),
    )

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def classes_in(self, password: str) -> int:
        return sum(1 for chars in self.CLASSES if any(c in chars for c in password))

    def validate(self, password: str, user=None) -> None:
        if self.classes_in(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "The password must contain at least %(n)d of: upper-case letters, lower-case "
            "letters, digits, symbols."
        ) % {"n": self.min_classes}


class HistoryValidator:
    """Refuses the account's current password and its previous ones, up to the last
    HELI_PASSWORD_HISTORY (default 5) in all; compares with Django's hashers, since only
    hashes are kept (User.password_history)."""

    def validate(self, password: str, user=None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        if any(check_password(password, encoded) for encoded in recent_hashes(user)):
            raise ValidationError(
                _("The password must differ from your last %(n)d passwords.")
                % {"n": settings.HELI_PASSWORD_HISTORY},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return _("The password must differ from your last %(n)d passwords.") % {
            "n": settings.HELI_PASSWORD_HISTORY
        }


class DemoPasswordValidator:
    """The demo's shared password is printed by `make demo` and known to anyone who saw the
    demo: refused everywhere except in the demo (settings.HELI_DEMO)."""

    def validate(self, password: str, user=None) -> None:
        if not settings.HELI_DEMO and password.casefold() in DEMO_PASSWORDS:
            raise ValidationError(
                _("This is the demo's published password; choose another."),
                code="demo_password",
            )

    def get_help_text(self) -> str:
        return _("The demo's published password is not accepted.")


def recent_hashes(user) -> list[str]:
    """The hashes of the current password and of the previous ones, last N in all."""
    keep = max(settings.HELI_PASSWORD_HISTORY, 0)
    current = [user.password] if user.has_usable_password() else []
    return (list(user.password_history) + current)[-keep:] if keep else []


def apply_password(user, password: str, *, must_change: bool) -> None:
    """Give `user` a new password (not saved): the old hash joins the history, the clock of
    expiry restarts, and `must_change` says whether it was set by somebody else."""
    keep = max(settings.HELI_PASSWORD_HISTORY - 1, 0)
    history = recent_hashes(user)
    user.password_history = history[-keep:] if keep else []
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change


PASSWORD_FIELDS = ["password", "password_history", "password_changed_at", "must_change_password"]


def must_change(user) -> bool:
    """Whether the user must choose a new password before anything else: an administrator
    set it, or it is older than HELI_PASSWORD_MAX_AGE_DAYS (0: passwords never expire)."""
    if user.must_change_password:
        return True
    days = settings.HELI_PASSWORD_MAX_AGE_DAYS
    return days > 0 and user.password_changed_at < timezone.now() - timedelta(days=days)


# Pages a user who must change their password may still reach, besides static files (which
# WhiteNoise usually answers before this middleware).
# The second step of a login comes first (heli.accounts.twofactor): its pages are reachable.
REACHABLE = (
    "control:password_change",
    "logout",
    "login",
    "set_language",
    "login_code",
    "control:two_factor_enrol",
    "control:two_factor_codes",
)


class ChangeRequiredMiddleware:
    """Sends a logged-in user who must change their password (must_change) to the change
    page from every other page, until they have chosen their own (the page says why)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and must_change(user):
            reachable = {reverse(name) for name in REACHABLE}
            static = request.path_info.startswith(settings.STATIC_URL)
            if request.path_info not in reachable and not static:
                return redirect("control:password_change")
        return self.get_response(request)


def change_reason(user) -> str | None:
    """Why the user must change their password now (None: they need not)."""
    if not must_change(user):
        return None
    if user.must_change_password:
        return _(
            "Your password was set by an administrator: please change it to one of your own "
            "before you continue."
        )
    return _("Your password is more than %(n)d days old: please change it before you continue.") % {
        "n": settings.HELI_PASSWORD_MAX_AGE_DAYS
    }
