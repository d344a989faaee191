"""Ciphertexts bound to their rows (#10 part 10): SM4-GCM with the table, column and primary
key as associated data, so a ciphertext copied elsewhere no longer decrypts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from heli.audit.services import Actor
from heli.core import crypto, sealed
from heli.core.sealed import unseal
from heli.members.models import Member
from heli.mobility import checkins, floating
from heli.mobility.checkins import Identity
from heli.mobility.models import FloatingRecord, PendingCheckIn

WHERE = crypto.associated("members_member", "id_cipher", 7)


def test_a_ciphertext_decrypts_only_in_the_place_it_was_written_for():
    blob = crypto.encrypt("11010519491231002X", WHERE)
    assert crypto.decrypt(blob, WHERE) == "11010519491231002X"
    for elsewhere in (
        crypto.associated("members_member", "id_cipher", 8),
        crypto.associated("members_member", "phone_cipher", 7),
        crypto.associated("mobility_pendingcheckin", "id_cipher", 7),
        crypto.associated("members_member", "id_cipher", 70),  # no prefix confusion
    ):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(blob, elsewhere)


def test_a_ciphertext_without_a_place_is_refused_and_so_is_a_changed_version_byte():
    unbound = bytes(crypto.encrypt("13812345678", b""))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(unbound, WHERE)
    blob = bytearray(crypto.encrypt("13812345678", WHERE))
    blob[0] = 9
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(blob), WHERE)


@pytest.mark.django_db
def test_a_members_id_number_copied_into_another_row_does_not_decrypt(world):
    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=world.member_b.id_cipher)
    swapped = Member.unscoped.get(pk=world.member_a.pk)
    with pytest.raises(crypto.DecryptionError):
        unseal(swapped, "id_cipher")
    assert unseal(Member.unscoped.get(pk=world.member_b.pk), "id_cipher")  # still its own


@pytest.mark.django_db
def test_a_phone_copied_into_the_id_column_of_the_same_row_does_not_decrypt(world):
    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=world.member_a.phone_cipher)
    with pytest.raises(crypto.DecryptionError):
        unseal(Member.unscoped.get(pk=world.member_a.pk), "id_cipher")


@pytest.mark.django_db
def test_a_swapped_ciphertext_shows_as_unreadable_on_the_page_not_as_an_error(world, client):
    other = unseal(world.member_b, "id_cipher")
    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=world.member_b.id_cipher)
    client.force_login(world.users["branch_secretary"])
    response = client.post(reverse("control:member_reveal", kwargs={"pk": world.member_a.pk}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "（无法解密）" in html and other not in html
    assert "13812345678" in html  # the phone, still its own, shows


@pytest.mark.django_db
def test_the_full_export_marks_a_swapped_value_unreadable(world, client):
    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=world.member_b.id_cipher)
    client.force_login(world.users["branch_secretary"])
    response = client.get(reverse("control:member_export"), {"unmasked": "1"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_every_creation_path_binds_to_the_new_rows_id(world, everything):
    actor = Actor(user=world.users["branch_secretary"])
    pending = checkins.register_unknown(
        Actor.system("test"), Identity(name="路人", phone="13900001111"), world.station_a
    )
    assert unseal(PendingCheckIn.unscoped.get(pk=pending.pk), "identity_cipher") == "13900001111"
    record = floating.register(
        actor,
        world.member_a,
        {"direction": "out", "place": "上海市浦东新区", "since": dt.date(2026, 3, 1),
         "flow_range": "other_province", "reason": "work", "expected_months": 12,
         "contact_phone": "13900002222"},
    )  # fmt: skip
    stored = FloatingRecord.unscoped.get(pk=record.pk)
    assert unseal(stored, "contact_phone_cipher") == "13900002222"
    assert unseal(Member.unscoped.get(pk=world.member_a.pk), "id_cipher")


def test_every_encrypted_column_of_the_project_is_listed():
    binary = {
        f"{model._meta.label}.{f.attname}"
        for model in apps.get_models()
        if model.__module__.startswith("heli.")
        for f in model._meta.concrete_fields
        if isinstance(f, models.BinaryField)
    }
    assert binary == {f"{label}.{attname}" for label, attname in sealed.FIELDS}


def _legacy(text: str) -> bytes:
    """A value as it was stored before ciphertexts were bound (version 1, no associated data)."""
    import os

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from django.conf import settings

    key = dict(settings.FIELD_ENCRYPTION_KEYS)[1]
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(text.encode()) + encryptor.finalize()
    return b"\x01" + nonce + body + encryptor.tag


@pytest.mark.django_db
def test_the_migration_binds_values_stored_before_and_the_old_format_is_then_refused(world):
    import importlib

    migration = importlib.import_module("heli.core.migrations.0004_bind_ciphertexts_to_rows")
    number = unseal(world.member_a, "id_cipher")
    legacy = _legacy(number)
    Member.unscoped.filter(pk=world.member_a.pk).update(id_cipher=legacy)
    pending = world.pending_a
    PendingCheckIn.unscoped.filter(pk=pending.pk).update(identity_cipher=_legacy("13900003333"))
    with pytest.raises(crypto.DecryptionError):  # nothing but the migration reads it
        unseal(Member.unscoped.get(pk=world.member_a.pk), "id_cipher")
    migration.forwards(apps, None)
    bound = Member.unscoped.get(pk=world.member_a.pk)
    assert unseal(bound, "id_cipher") == number
    assert unseal(PendingCheckIn.unscoped.get(pk=pending.pk), "identity_cipher") == "13900003333"
    assert unseal(Member.unscoped.get(pk=world.member_b.pk), "id_cipher")  # bound: left alone
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_unbound(bound.id_cipher)
