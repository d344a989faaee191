from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from heli.accounts import locks, twofactor
from heli.audit.services import Actor, client_address

THROTTLED = "address_throttled"


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    error_messages = {
        **AuthenticationForm.error_messages,
        THROTTLED: _(
            "Too many failed logins from your address. Logins from here are refused for a "
            "while; try again later or ask your administrator."
        ),
    }

    def clean(self):
        # Before authenticating, whatever the username: the answer must not tell whether an
        # account exists, and a refused attempt must not count as another failure.
        if locks.address_throttled(client_address(self.request)):
            raise ValidationError(self.error_messages[THROTTLED], code=THROTTLED)
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", THROTTLED):
            response.status_code = 429
        return response


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=40)


def safe_next(request: HttpRequest) -> str:
    """The page to continue to after the second step: `next` when it is one of heli's own."""
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the 6-digit code of the person's authenticator, or one of
    their recovery codes (heli.accounts.twofactor). The session counts as verified from here."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    target = safe_next(request)
    if not twofactor.pending(request):
        return redirect(target)
    form = CodeForm(request.POST or None)
    wait = 0
    if request.method == "POST" and form.is_valid():
        result = twofactor.verify(Actor.from_request(request), form.cleaned_data["code"])
        if result.device is not None:
            request.session.cycle_key()  # a new session key for the verified session
            otp_login(request, result.device)
            return redirect(target)
        wait = result.wait_seconds
    return render(
        request,
        "accounts/login_code.html",
        {"form": form, "wait": wait, "failed": form.is_bound and not wait},
    )
