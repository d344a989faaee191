"""Key versions, rotation and key files (#10 part 10)."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from heli.audit.models import AuditEntry
from heli.core import crypto, rotation, sealed
from heli.env import envfieldkeys, key_source, read_key_file

K1 = bytes(range(16))
K2 = bytes(range(16, 32))
WHERE = crypto.associated("members_member", "phone_cipher", 3)
PROJECT = Path(__file__).resolve().parent.parent


def test_several_keys_are_read_with_their_versions_the_first_current():
    keys = envfieldkeys({"HELI_FIELD_KEYS": f"2:{K2.hex()}, 1:{K1.hex()}"}, 16, None)
    assert keys == ((2, K2), (1, K1))
    assert envfieldkeys({"HELI_FIELD_KEY": K1.hex()}, 16, None) == ((1, K1),)


@pytest.mark.parametrize(
    "source",
    [
        {"HELI_FIELD_KEYS": f"2:{K2.hex()}", "HELI_FIELD_KEY": K1.hex()},
        {"HELI_FIELD_KEYS": f"0:{K2.hex()}"},
        {"HELI_FIELD_KEYS": f"256:{K2.hex()}"},
        {"HELI_FIELD_KEYS": f"x:{K2.hex()}"},
        {"HELI_FIELD_KEYS": K2.hex()},
        {"HELI_FIELD_KEYS": f"2:{K2.hex()},2:{K1.hex()}"},
        {"HELI_FIELD_KEYS": f"2:{K2.hex()[:-2]}"},
        {},
    ],
)
def test_it_refuses_keys_it_cannot_tell_apart_or_read(source):
    with pytest.raises(ImproperlyConfigured):
        envfieldkeys(source, 16, None)


def test_new_values_take_the_current_key_and_old_ones_decrypt_with_theirs(settings):
    settings.FIELD_ENCRYPTION_KEYS = ((1, K1),)
    old = crypto.encrypt("13812345678", WHERE)
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2), (1, K1))
    new = crypto.encrypt("13812345678", WHERE)
    assert (crypto.version_of(old), crypto.version_of(new)) == (1, 2)
    assert crypto.decrypt(old, WHERE) == crypto.decrypt(new, WHERE) == "13812345678"
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2),)  # key 1 removed
    assert crypto.decrypt(new, WHERE) == "13812345678"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old, WHERE)


def _values() -> list[tuple[object, str]]:
    """Every stored encrypted value as (row, attname)."""
    return [
        (obj, attname)
        for model, attname in sealed.fields()
        for obj in model._base_manager.exclude(**{attname: None})
    ]


def _versions() -> list[int]:
    return [crypto.version_of(bytes(getattr(obj, attname))) for obj, attname in _values()]


@pytest.mark.django_db
def test_after_a_rotation_the_old_key_can_go_and_everything_still_decrypts(world, settings):
    first = django_settings.FIELD_ENCRYPTION_KEYS[0]
    plain = {(type(o).__name__, o.pk, a): sealed.unseal(o, a) for o, a in _values()}
    assert len({name for name, _pk, _a in plain}) == 2  # members and pending check-ins
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2), first)
    stderr = io.StringIO()
    call_command("keys", "rotate", "--batch", "3", stderr=stderr, stdout=io.StringIO())
    assert "members_member.id_cipher: 3 rows read" in stderr.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2),)
    assert set(_versions()) == {2}
    assert {(type(o).__name__, o.pk, a): sealed.unseal(o, a) for o, a in _values()} == plain
    entry = AuditEntry.unscoped.get(action="keys.rotate")
    assert entry.detail == {"version": 2, "rewritten": len(plain), "unreadable": 0}


@pytest.mark.django_db
def test_an_interrupted_rotation_resumes_where_it_stopped(world, settings, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2), django_settings.FIELD_ENCRYPTION_KEYS[0])
    total = len(_values())
    calls = 0
    to_current = rotation.to_current

    def failing(blob: bytes, where: bytes) -> bytes | None:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise RuntimeError("the machine went down")
        return to_current(blob, where)

    monkeypatch.setattr(rotation, "to_current", failing)
    with pytest.raises(RuntimeError):
        rotation.rotate(batch=2)
    # Two batches of two committed; the third, interrupted, left nothing.
    assert _versions().count(2) == 4
    monkeypatch.undo()
    outcome = rotation.rotate(batch=2)
    assert outcome.total == total - 4
    assert set(_versions()) == {2}
    assert rotation.rotate(batch=2).total == 0  # nothing left: a third run changes nothing


@pytest.mark.django_db
def test_a_value_that_does_not_decrypt_is_left_and_named(world, settings):
    from heli.members.models import Member

    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=world.member_b.id_cipher)
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2), django_settings.FIELD_ENCRYPTION_KEYS[0])
    outcome = rotation.rotate()
    assert outcome.unreadable == {"members_member.id_cipher": [world.member_a.pk]}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """No umask: a file's mode is then the one it was created with, nothing taken away."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_a_generated_key_file_is_created_owner_only(tmp_path, open_umask):
    path = tmp_path / "heli.keys"
    call_command("keys", "generate", str(path), stdout=io.StringIO())
    assert _mode(path) == 0o600
    values = read_key_file(str(path))
    assert values["HELI_FIELD_KEYS"].startswith("1:") and len(values["HELI_DIGEST_KEY"]) == 32
    with pytest.raises(CommandError):
        call_command("keys", "generate", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_a_new_key_becomes_current_and_an_old_one_is_retired_only_when_unused(
    tmp_path, open_umask, world, settings
):
    path = tmp_path / "heli.keys"
    call_command("keys", "generate", str(path), stdout=io.StringIO())
    call_command("keys", "add", str(path), stdout=io.StringIO())
    versions = read_key_file(str(path))["HELI_FIELD_KEYS"]
    assert [item.split(":")[0] for item in versions.split(",")] == ["2", "1"]
    assert _mode(path) == 0o600
    with pytest.raises(CommandError, match="still under key version 1"):
        call_command("keys", "retire", "1", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="current"):
        call_command("keys", "retire", "2", str(path), stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = ((2, K2), django_settings.FIELD_ENCRYPTION_KEYS[0])
    rotation.rotate()
    call_command("keys", "retire", "1", str(path), stdout=io.StringIO())
    assert read_key_file(str(path))["HELI_FIELD_KEYS"].startswith("2:")
    assert "," not in read_key_file(str(path))["HELI_FIELD_KEYS"]
    assert _mode(path) == 0o600


def test_a_key_file_open_to_group_or_others_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "heli.keys"
    path.write_text(f"HELI_FIELD_KEY={K1.hex()}\n")
    for mode in (0o644, 0o640, 0o604, 0o620):
        path.chmod(mode)
        with pytest.raises(ImproperlyConfigured, match="0600"):
            key_source(str(path))
    path.chmod(0o600)
    monkeypatch.delenv("HELI_FIELD_KEY", raising=False)
    assert read_key_file(str(path))["HELI_FIELD_KEY"] == K1.hex()
    monkeypatch.setenv("HELI_FIELD_KEY", K2.hex())
    with pytest.raises(ImproperlyConfigured, match="both"):
        key_source(str(path))


def _start(path: Path) -> subprocess.CompletedProcess:
    """heli's settings loaded in a new process with keys from `path` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELI_") or k == "HELI_DEBUG"}
    env.update(HELI_KEY_FILE=str(path), DJANGO_SETTINGS_MODULE="heli.settings")
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.FIELD_ENCRYPTION_KEYS[0][0])"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_heli_refuses_to_start_with_a_key_file_others_can_read(tmp_path):
    path = tmp_path / "heli.keys"
    path.write_text(
        f"HELI_SECRET_KEY=s3cret-for-the-test\nHELI_FIELD_KEYS=3:{K2.hex()},1:{K1.hex()}\n"
        f"HELI_DIGEST_KEY={K1.hex()}\nHELI_AUDIT_KEY={K1.hex() * 2}\n"
    )
    path.chmod(0o644)
    refused = _start(path)
    assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr
    path.chmod(0o600)
    started = _start(path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "3"


def test_the_demo_keys_are_written_owner_only(tmp_path, open_umask):
    path = tmp_path / "demo.env"
    subprocess.run(
        [sys.executable, str(PROJECT / "scripts" / "demo_env.py"), str(path)], check=True
    )
    assert _mode(path) == 0o600
    assert "HELI_FIELD_KEY=" in path.read_text()
