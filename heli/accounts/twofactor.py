"""Two-factor login: a TOTP code (django-otp) after the password, and recovery codes.

Who must: `roles.requires_second_factor` names the roles, `HELI_2FA_REQUIRED` turns the rule on
(off in the demo). Anyone else may enrol, and a user with a confirmed device gives a code at
every login whatever their role. A session is verified only once a code was accepted
(django-otp keeps the device in the session); until then `SecondFactorMiddleware` sends the
user to the code page, or to enrolment when they have no device yet.

Wrong codes have their own limit, kept per account rather than per address: django-otp's
throttle on the device refuses any code for 1, 2, 4, 8, … seconds after each wrong one in a
row (a right code resets it), so guessing from many addresses gains nothing. A wrong password
still counts toward the login locks (heli.accounts.locks) as before.

Recovery codes are kept only as keyed digests (HMAC-SM3), so the database does not hold
codes that log in; each works once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from heli.accounts.roles import assigns_role_of, requires_second_factor
from heli.audit.services import Actor, record
from heli.core import crypto

RECOVERY_CODES = 10
# Recovery codes: 8 characters of the base-32 alphabet (40 bits), shown as xxxx-xxxx.
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
TOTP_CODE = re.compile(r"\d{6}")
# The codes just made, kept in the session only until the person says they saved them.
SESSION_CODES = "heli_recovery_codes"
CODE_PAGE, ENROL = "login_code", "control:two_factor_enrol"
# Pages a user between the password and the code may reach (besides the code page or the
# enrolment, and static files).
REACHABLE = {"logout", "login", "set_language"}


def required(user) -> bool:
    """Whether this user must have a second factor (their role, and HELI_2FA_REQUIRED)."""
    return settings.HELI_2FA_REQUIRED and requires_second_factor(user.role)


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def must_verify(user) -> bool:
    """Whether a session of this user counts only after a code (or after enrolment)."""
    return required(user) or device_of(user) is not None


def _verified(user) -> bool:
    check = getattr(user, "is_verified", None)  # installed by django-otp's OTPMiddleware
    return bool(check and check())


def pending(request: HttpRequest) -> bool:
    """Whether the request's user still owes a code or an enrolment (set by the middleware;
    the menu is not built for them)."""
    return getattr(request, "second_factor_pending", False)


class SecondFactorMiddleware:
    """Sends a logged-in user whose session is not verified, and who must verify, to the code
    page (with the page they asked for as `next`), or to enrolment when they have no device;
    logout, login, the language switch, static files and the public QR pages stay reachable.
    Placed after django-otp's OTPMiddleware and before the forced password change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not _verified(user):
            device = device_of(user)
            if device is not None or required(user):
                request.second_factor_pending = True
                target = ENROL if device is None else CODE_PAGE
                if not self._reachable(request, target):
                    if device is None:
                        return redirect(ENROL)
                    query = QueryDict(mutable=True)
                    query["next"] = request.get_full_path()
                    return redirect(f"{reverse(CODE_PAGE)}?{query.urlencode(safe='/')}")
        return self.get_response(request)

    @staticmethod
    def _reachable(request: HttpRequest, target: str) -> bool:
        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True  # the 404 page, which shows nothing of the user's
        return match.view_name in REACHABLE | {target} or match.namespace == "public"


# Enrolment --------------------------------------------------------------------------------


def enrolling_device(user) -> TOTPDevice:
    """The device being enrolled (unconfirmed): the same secret until it is confirmed, so a
    reload shows the code the person already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def otpauth_uri(device: TOTPDevice) -> str:
    return device.config_url


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks it typed: base 32 in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def confirm_enrolment(actor: Actor, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the device being enrolled with a code from it (None when wrong): it replaces any
    earlier device, and ten new recovery codes replace the old ones (returned, to be shown
    once). Audited as account.otp_enrol, a wrong code as account.otp_failed."""
    user = _acting(actor)
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_is_allowed()[0]:
        return None  # a code typed while the throttle runs is not looked at
    if not device.verify_token(_normalize(code)):
        record(actor, "account.otp_failed", user, success=False, detail={"kind": "enrol"})
        return None
    replaced = _remove_devices(user, keep=device)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record(actor, "account.otp_enrol", user, detail={"replaced": True} if replaced else None)
    return device, codes


# Login ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    device: TOTPDevice | StaticDevice | None = None
    wait_seconds: int = 0  # > 0: refused unseen, the throttle runs after a wrong code


@transaction.atomic
def verify(actor: Actor, code: str) -> Verification:
    """Check a code from the authenticator (6 digits) or a recovery code (used up) of the
    acting user. Audited: account.otp_verify, account.otp_recovery (with the codes left) or
    account.otp_failed. A code tried while the throttle runs is not looked at."""
    user = _acting(actor)
    code = _normalize(code)
    if TOTP_CODE.fullmatch(code):
        kind, token, devices = "totp", code, TOTPDevice.objects
    else:
        kind, token, devices = "recovery", _digest(code), StaticDevice.objects
    device = devices.select_for_update().filter(user=user, confirmed=True).first()
    if device is not None:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            left = (data["locked_until"] - timezone.now()).total_seconds()
            return Verification(wait_seconds=max(int(left) + 1, 1))
        if device.verify_token(token):
            if kind == "recovery":
                record(actor, "account.otp_recovery", user, detail={"left": codes_left(user)})
            else:
                record(actor, "account.otp_verify", user)
            return Verification(device=device)
    record(actor, "account.otp_failed", user, success=False, detail={"kind": kind})
    return Verification()


# Managing one's own factor, and another's --------------------------------------------------


@transaction.atomic
def regenerate_codes(actor: Actor) -> list[str]:
    """Ten new recovery codes for the acting user (the old ones stop working); audited as
    account.otp_codes. Only for someone with a device (PermissionDenied otherwise)."""
    user = _acting(actor)
    if device_of(user) is None:
        raise PermissionDenied
    codes = _new_recovery_codes(user)
    record(actor, "account.otp_codes", user)
    return codes


@transaction.atomic
def disable(actor: Actor) -> None:
    """Remove the acting user's second factor: only where their role does not require one
    (PermissionDenied otherwise); audited as account.otp_disable."""
    user = _acting(actor)
    if required(user) or device_of(user) is None:
        raise PermissionDenied
    _remove_devices(user)
    record(actor, "account.otp_disable", user)


@transaction.atomic
def reset(actor: Actor, account) -> None:
    """The security administrator removes another account's second factor (a lost phone): the
    person enrols again at their next page. Only for an account bound inside their subtree,
    never their own (roles.assigns_role_of); audited as account.otp_reset."""
    if actor.user is not None and not assigns_role_of(actor.user, account):
        raise PermissionDenied
    _remove_devices(account)
    record(actor, "account.otp_reset", account)


# ------------------------------------------------------------------------------------------


def _acting(actor: Actor):
    if actor.user is None:
        raise PermissionDenied
    return actor.user


def _normalize(code: str) -> str:
    """What a person types, as the codes are kept: no spaces or dashes, lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()[:32]


def _digest(code: str) -> str:
    # StaticToken.token holds 16 characters: 64 bits of the HMAC are plenty for a code that
    # works once, behind the throttle.
    return crypto.digest("recovery-code", code)[:16]


def _remove_devices(user, keep: TOTPDevice | None = None) -> bool:
    others = TOTPDevice.objects.filter(user=user)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    replaced = others.filter(confirmed=True).exists()
    others.delete()
    StaticDevice.objects.filter(user=user).delete()
    return replaced


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(8)) for _ in range(RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_digest(c)) for c in codes)
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()
