"""Behind nginx every request comes from the proxy's address. Login locks, check-in limits and
the audit log need the phone's or the browser's: a proxy named in HELI_TRUSTED_PROXIES passes it
in X-Real-IP (nginx: `proxy_set_header X-Real-IP $remote_addr;`, which overwrites whatever the
client sent). From any other address the header is ignored."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from heli.core.proxy import RealAddressMiddleware


def _seen(settings, trusted: list[str], **meta) -> str:
    settings.HELI_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", **meta)
    RealAddressMiddleware(lambda r: HttpResponse(r.META["REMOTE_ADDR"]))(request)
    return request.META["REMOTE_ADDR"]


def test_a_trusted_proxy_passes_the_client_address(settings):
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}
    assert _seen(settings, ["127.0.0.1"], **meta) == "203.0.113.7"


@pytest.mark.parametrize(
    ("trusted", "meta"),
    [
        ([], {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}),
        (["127.0.0.1"], {"REMOTE_ADDR": "198.51.100.9", "HTTP_X_REAL_IP": "203.0.113.7"}),
        (["127.0.0.1"], {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "not an address"}),
        (["127.0.0.1"], {"REMOTE_ADDR": "127.0.0.1"}),
    ],
    ids=["no-proxy-configured", "not-the-proxy", "not-an-address", "no-header"],
)
def test_the_header_is_ignored_unless_a_trusted_proxy_sent_an_address(settings, trusted, meta):
    assert _seen(settings, trusted, **meta) == meta["REMOTE_ADDR"]


@pytest.mark.django_db
def test_the_audit_log_records_the_client_behind_the_proxy(world, client, settings):
    from heli.audit.models import AuditEntry
    from heli.core.scoping import Scope, activate

    settings.HELI_TRUSTED_PROXIES = ["127.0.0.1"]
    client.post(
        "/login/",
        {"username": "district", "password": "wrong"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.7",
    )
    with activate(Scope.everything()):
        entry = AuditEntry.objects.filter(success=False).latest("id")
    assert entry.ip_address == "203.0.113.7"
