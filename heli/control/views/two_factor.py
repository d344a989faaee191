"""Every staff member's own second factor (两步验证): enrol an authenticator, see and renew
recovery codes, turn it off where the role allows (heli.accounts.twofactor)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from heli.accounts import twofactor
from heli.accounts.views import CodeForm
from heli.audit.services import Actor


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = twofactor.device_of(user)
    return render(
        request,
        "control/two_factor.html",
        {
            "device": device,
            "required": twofactor.required(user),
            "codes_left": twofactor.codes_left(user) if device else 0,
        },
    )


@login_required
@never_cache
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """The QR code of a new authenticator and its secret as text; a code from the app confirms
    it. The page a user who must have a second factor meets first when they have none."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = twofactor.confirm_enrolment(Actor.from_request(request), form.cleaned_data["code"])
        if done is not None:
            device, codes = done
            request.session.cycle_key()
            otp_login(request, device)
            request.session[twofactor.SESSION_CODES] = codes
            return redirect("control:two_factor_codes")
    device = twofactor.enrolling_device(request.user)
    # segno draws the otpauth:// URI as SVG markup of its own (no outside service).
    qr = segno.make(twofactor.otpauth_uri(device), error="m").svg_inline(scale=5, border=2)
    return render(
        request,
        "control/two_factor_enrol.html",
        {
            "form": form,
            "failed": form.is_bound,
            "qr": mark_safe(qr),  # segno's own SVG markup of a URI heli built
            "secret": twofactor.secret_text(device),
            "forced": twofactor.pending(request),
            "replaces": twofactor.device_of(request.user) is not None,
        },
    )


@login_required
@never_cache
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown (and downloadable as .txt) until the person says
    they kept them; never again after that."""
    codes = request.session.get(twofactor.SESSION_CODES)
    if request.method == "POST":
        request.session.pop(twofactor.SESSION_CODES, None)
        return redirect("control:dashboard")
    if request.GET.get("format") == "txt":
        if not codes:
            return redirect("control:two_factor_codes")
        lines = [_("Heli recovery codes for %(user)s") % {"user": request.user.username}, ""]
        text = "\r\n".join([*lines, *codes, ""])
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="heli-recovery-codes.txt"'
        return response
    return render(request, "control/two_factor_codes.html", {"codes": codes})


@login_required
@require_POST
def two_factor_regenerate(request: HttpRequest) -> HttpResponse:
    if twofactor.device_of(request.user) is None:
        messages.error(request, _("Enrol an authenticator first."))
        return redirect("control:two_factor")
    codes = twofactor.regenerate_codes(Actor.from_request(request))
    request.session[twofactor.SESSION_CODES] = codes
    return redirect("control:two_factor_codes")


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.required(user):
        messages.error(request, _("Your role requires two-step verification."))
    elif twofactor.device_of(user) is not None:
        twofactor.disable(Actor.from_request(request))
        messages.success(request, _("Two-step verification is off."))
    return redirect("control:two_factor")
