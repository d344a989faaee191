"""The language of the pages: Chinese whatever the browser announces (Accept-Language is not
read); English only for whoever picks it in the switch.

The browser keeps the last pick in Django's language cookie, for a year: past the session,
which ends when the browser closes. A staff member's pick is also kept on their account, so
it follows them to another PC and wins over what the browser remembers; someone who never
picked goes by the browser (the login page's switch applies after logging in).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views import i18n
from django.views.decorators.http import require_POST

from heli.accounts import services


def supported(language: str | None) -> str | None:
    return language if language in dict(settings.LANGUAGES) else None


def chosen_language(request: HttpRequest) -> str:
    """The logged-in person's own pick, else this browser's last pick, else Chinese."""
    user = getattr(request, "user", None)
    own = supported(user.language) if user is not None and user.is_authenticated else None
    browser = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    return own or browser or settings.LANGUAGE_CODE


def set_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LanguageMiddleware:
    """In place of Django's LocaleMiddleware (which would follow Accept-Language); placed
    after the authentication middleware, since a staff member's own pick comes first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        user = getattr(request, "user", None)  # the logged-in user now, after a login too
        if (
            user is not None
            and user.is_authenticated
            and supported(user.language)
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != user.language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies  # set_language's own
        ):
            # The login page after this person logs out speaks their language.
            set_cookie(response, user.language)
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect to `next`), and the pick kept on the
    account of whoever is logged in."""
    response = i18n.set_language(request)
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        services.remember_language(request.user, language)
    return response
