"""Typed readers for environment variables (the only source of configuration)."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envhexkey(name: str, length: int, fallback: str | None) -> bytes:
    """A binary key given as hex; `fallback` (hex) is used only where the caller allows it."""
    raw = os.environ.get(name, fallback)
    if not raw:
        raise ImproperlyConfigured(f"{name} is required ({length * 2} hex characters)")
    try:
        key = bytes.fromhex(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be hexadecimal") from exc
    if len(key) != length:
        raise ImproperlyConfigured(f"{name} must be {length} bytes ({length * 2} hex characters)")
    return key


def envheader(name: str) -> tuple[str, str] | None:
    """A request header and the value that means HTTPS, given as `Header-Name=value` (or in
    Django's form, `HTTP_HEADER_NAME=value`), for SECURE_PROXY_SSL_HEADER; None when unset."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    header, sep, value = (part.strip() for part in raw.partition("="))
    if not sep or not header or not value:
        raise ImproperlyConfigured(
            f"{name} must be a header and its HTTPS value, e.g. X-Forwarded-Proto=https, "
            f"not {raw!r}"
        )
    meta = header.upper().replace("-", "_")
    return (meta if meta.startswith("HTTP_") else f"HTTP_{meta}", value)
