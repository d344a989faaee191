"""Writing the key file that HELI_KEY_FILE names (read by heli.env.key_source).

A key file is created with mode 0600 by os.open itself (never written first and restricted
after, which would leave a moment when others may read it) and replaced whole: a new file
beside it, then a rename, so a reader sees the old keys or the new ones, never half.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from heli.env import read_key_file

KEY_BYTES = 16


def new_key(size: int = KEY_BYTES) -> str:
    return secrets.token_hex(size)


def write_new(path: Path, values: dict[str, str]) -> None:
    """Create `path` (owner read/write only) holding `values`; refuse an existing file."""
    _write(path, values, os.O_EXCL)


def _write(path: Path, values: dict[str, str], flags: int) -> None:
    text = "".join(f"{name}={value}\n" for name, value in values.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def read(path: Path) -> dict[str, str]:
    """The keys of an existing key file (its mode checked, as at start)."""
    return read_key_file(str(path))


def field_keys(values: dict[str, str]) -> list[tuple[int, str]]:
    """The (version, hex) pairs of a key file's field keys, current first."""
    if "HELI_FIELD_KEYS" in values:
        pairs = (item.strip().partition(":") for item in values["HELI_FIELD_KEYS"].split(","))
        return [(int(version), key) for version, _sep, key in pairs]
    if "HELI_FIELD_KEY" in values:
        return [(1, values["HELI_FIELD_KEY"])]
    return []


def replace(path: Path, values: dict[str, str], keys: list[tuple[int, str]]) -> None:
    """Write `values` with the field keys `keys` (current first) over the key file."""
    values = {name: value for name, value in values.items() if name != "HELI_FIELD_KEY"}
    values["HELI_FIELD_KEYS"] = ",".join(f"{version}:{key}" for version, key in keys)
    fresh = path.with_name(f".{path.name}.new")
    fresh.unlink(missing_ok=True)
    _write(fresh, values, os.O_EXCL)
    os.replace(fresh, path)
