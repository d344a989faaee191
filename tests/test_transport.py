"""Transport settings of the production profile: HTTPS only behind HELI_SECURE_COOKIES=1 (SSL
redirect, HSTS, secure cookies, the proxy's header), and `heli check --deploy` without a warning.

Settings are read from the environment when the settings module loads, so each profile is
loaded in a child process of its own with exactly the environment given.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHOWN = (
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
)


def production(**overrides: str) -> dict[str, str]:
    """The environment of a production start: no debug, real keys, HTTPS only."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT),
        "HELI_DEBUG": "0",
        # Django's deploy check wants a long, varied key (security.W009), as a real one is.
        "HELI_SECRET_KEY": secrets.token_urlsafe(50),
        "HELI_FIELD_KEY": secrets.token_hex(16),
        "HELI_DIGEST_KEY": secrets.token_hex(16),
        "HELI_AUDIT_KEY": secrets.token_hex(32),
        "HELI_SECURE_COOKIES": "1",
        "HELI_ALLOWED_HOSTS": "heli.example.org",
        "HELI_DATABASE_URL": "sqlite:///:memory:",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def settings_in(env: dict[str, str]) -> dict:
    script = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'heli.settings'\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{k: getattr(settings, k) for k in {SHOWN!r}}}))\n"
    )
    done = run(["-c", script], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_production_profile_passes_every_deploy_check_without_a_warning():
    done = run(["-m", "heli.cli", "check", "--deploy", "--fail-level", "WARNING"], production())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_deploy_check_fails_when_https_is_left_off():
    # The check this suite relies on sees a missing SSL redirect: it is not vacuous.
    done = run(
        ["-m", "heli.cli", "check", "--deploy", "--fail-level", "WARNING"],
        production(HELI_SECURE_COOKIES="0"),
    )
    assert done.returncode != 0
    assert "security.W008" in done.stdout + done.stderr


def test_secure_cookies_turn_on_https_only_transport():
    found = settings_in(production())
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] == 31_536_000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SECURE_HSTS_PRELOAD"] is True
    assert found["SESSION_COOKIE_SECURE"] and found["CSRF_COOKIE_SECURE"]
    assert found["LANGUAGE_COOKIE_SECURE"] is True
    assert found["SECURE_REFERRER_POLICY"] == "same-origin"
    assert found["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert found["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when configured


def test_without_secure_cookies_nothing_is_forced_to_https():
    found = settings_in(production(HELI_SECURE_COOKIES="0"))
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 0
    assert not found["SESSION_COOKIE_SECURE"]


def test_hsts_and_the_proxy_header_come_from_their_settings():
    found = settings_in(
        production(
            HELI_HSTS_SECONDS="600",
            HELI_HSTS_INCLUDE_SUBDOMAINS="0",
            HELI_HSTS_PRELOAD="0",
            HELI_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
            HELI_REFERRER_POLICY="no-referrer",
        )
    )
    assert found["SECURE_HSTS_SECONDS"] == 600
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert found["SECURE_HSTS_PRELOAD"] is False
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SECURE_REFERRER_POLICY"] == "no-referrer"


def test_the_proxy_header_may_be_named_as_it_travels():
    found = settings_in(production(HELI_PROXY_SSL_HEADER="X-Forwarded-Proto=https"))
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("header", ["X-Forwarded-Proto", "HTTP_X_FORWARDED_PROTO=", "=https"])
def test_a_malformed_proxy_header_stops_the_start(header):
    done = run(["-m", "heli.cli", "check"], production(HELI_PROXY_SSL_HEADER=header))
    assert done.returncode != 0
    assert "HELI_PROXY_SSL_HEADER" in done.stderr
