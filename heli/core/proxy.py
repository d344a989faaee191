"""The client's address behind a reverse proxy (nginx): REMOTE_ADDR is the proxy's own, so a
proxy listed in HELI_TRUSTED_PROXIES passes the client's in X-Real-IP, and this middleware,
first of all, puts it in REMOTE_ADDR for everything after it (login locks, check-in limits,
the audit log). The header of anyone else is ignored: only the proxy, which overwrites it,
is believed."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class RealAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if meta.get("REMOTE_ADDR") in settings.HELI_TRUSTED_PROXIES:
            client = meta.get("HTTP_X_REAL_IP", "").strip()
            with contextlib.suppress(ValueError):  # no address from the proxy: its own stays
                meta["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        return self.get_response(request)
