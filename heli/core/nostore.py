"""Responses that hold personal data in full or leave the masked pages (a reveal, an export, a
letter, a pending person's number) are never kept by a browser or a proxy: a shared computer's
cache or back button must not show them to the next person. Every view that writes an audit
action marked reveal or export answers through `no_store` or `forbid_storing`
(tests/test_no_store.py lists them from the audit registry)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers


def forbid_storing(response: HttpResponseBase) -> HttpResponseBase:
    """Cache-Control: no-store (with no-cache, must-revalidate, private, max-age=0), and
    Pragma: no-cache for HTTP/1.0 caches."""
    add_never_cache_headers(response)
    response["Pragma"] = "no-cache"
    return response


def no_store(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view whose every answer is never stored."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        return forbid_storing(view(request, *args, **kwargs))

    return wrapper
