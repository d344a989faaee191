"""Typed readers for environment variables (the only source of configuration), and of the
key file (HELI_KEY_FILE) that may hold the keys instead."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

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


def envhexkey(
    name: str, length: int, fallback: str | None, source: Mapping[str, str] = os.environ
) -> bytes:
    """A binary key given as hex; `fallback` (hex) is used only where the caller allows it."""
    raw = source.get(name, fallback)
    if not raw:
        raise ImproperlyConfigured(f"{name} is required ({length * 2} hex characters)")
    return _hexkey(name, raw, length)


def _hexkey(name: str, raw: str, length: int) -> bytes:
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


# The variables a key file may hold.
KEY_NAMES = (
    "HELI_SECRET_KEY",
    "HELI_FIELD_KEYS",
    "HELI_FIELD_KEY",
    "HELI_DIGEST_KEY",
    "HELI_AUDIT_KEY",
)


def key_source(path: str | None) -> Mapping[str, str]:
    """The environment, with the keys of the key file at `path` when one is given. A key set
    both there and in the environment is refused, so that nobody wonders which one is used."""
    if not path:
        return os.environ
    values = read_key_file(path)
    for name in values:
        if name in os.environ:
            raise ImproperlyConfigured(f"{name} is set both in the environment and in {path}")
    return {**os.environ, **values}


def read_key_file(path: str) -> dict[str, str]:
    """The keys of a key file (lines `NAME=value`, `#` comments). It must be open to its
    owner only (mode 0600 or stricter: `heli keys generate` creates it so)."""
    try:
        info = os.stat(path)
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as exc:
        raise ImproperlyConfigured(f"HELI_KEY_FILE {path}: {exc.strerror}") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ImproperlyConfigured(
            f"HELI_KEY_FILE {path} is open to group or others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): it must be 0600 (chmod 600)"
        )
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in KEY_NAMES:
            raise ImproperlyConfigured(
                f"HELI_KEY_FILE {path}, line {number}: expected one of {', '.join(KEY_NAMES)}=…"
            )
        values[name] = value.strip()
    return values


def envfieldkeys(
    source: Mapping[str, str], length: int, fallback: str | None
) -> tuple[tuple[int, bytes], ...]:
    """The SM4 keys by version, the current one first: HELI_FIELD_KEYS (`2:hex,1:hex`), or
    HELI_FIELD_KEY alone as version 1."""
    listed, single = source.get("HELI_FIELD_KEYS"), source.get("HELI_FIELD_KEY")
    if listed and single:
        raise ImproperlyConfigured("set HELI_FIELD_KEYS or HELI_FIELD_KEY, not both")
    if not listed:
        return ((1, envhexkey("HELI_FIELD_KEY", length, fallback, source)),)
    keys: list[tuple[int, bytes]] = []
    for item in listed.split(","):
        version, sep, raw = item.strip().partition(":")
        if not sep or not version.isdigit() or not 1 <= int(version) <= 255:
            raise ImproperlyConfigured(
                "HELI_FIELD_KEYS is a list of version:hex (versions 1 to 255), current first"
            )
        if int(version) in dict(keys):
            raise ImproperlyConfigured(f"HELI_FIELD_KEYS names version {version} twice")
        keys.append((int(version), _hexkey(f"HELI_FIELD_KEYS version {version}", raw, length)))
    return tuple(keys)
