from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from heli.accounts import locks
from heli.audit.services import client_address

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
