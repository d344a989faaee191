"""Anonymization of members past the retention period (PIPL, #10 part 16b): soft-deleted
members whose deletion lies HELI_RETENTION_YEARS back lose every personal field for neutral
values, in batches, audited, irreversibly; nothing left finds them again by a number."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.members import sensitive, services
from heli.members.models import Member, MemberChange
from heli.mobility.checkins import Identity, register_unknown
from heli.mobility.models import PendingCheckIn
from heli.privacy import retention
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _deleted(world, years: float, **kwargs) -> Member:
    member = MemberFactory(org=world.branch_a, residence_grid=world.grid_a, **kwargs)
    Member.unscoped.filter(pk=member.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=round(365.25 * years)),
        deleted_reason="迁出本区，联系人王某 13900001111",
    )
    member.refresh_from_db()
    return member


def _texts_anywhere(*values: str) -> list[str]:
    """Every text column of every table holding one of `values` (model.field: value)."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                for value in values:
                    if model._base_manager.filter(**{f"{field.name}__contains": value}).exists():
                        found.append(f"{model._meta.label}.{field.name}: {value}")
    return found


def _ciphers_anywhere(*ciphers: bytes) -> list[str]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.BinaryField):
                for cipher in ciphers:
                    if model._base_manager.filter(**{field.name: cipher}).exists():
                        found.append(f"{model._meta.label}.{field.name}")
    return found


def test_only_members_deleted_longer_ago_than_the_retention_period_are_anonymized(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    old = _deleted(world, 31, name="欧阳老")
    recent = _deleted(world, 29, name="欧阳新")
    assert retention.anonymize_due(SYSTEM) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    world.deleted_a.refresh_from_db()
    world.member_a.refresh_from_db()
    assert old.anonymized_at is not None and old.name != "欧阳老"
    assert recent.name == "欧阳新" and recent.anonymized_at is None
    assert world.deleted_a.name == "钱进" and world.member_a.name == "张伟"
    assert retention.anonymize_due(SYSTEM) == 0  # once


def test_an_anonymized_member_leaves_no_digest_or_ciphertext_that_finds_them_again(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    member = _deleted(
        world, 40, name="欧阳老", employer="横林家具厂", notes="住崔桥村3组", phone="13955550001"
    )
    number = unseal(member, "id_cipher")
    kept = {"gender": member.gender, "joined_on": member.joined_on, "org": member.org_id}
    with activate(Scope.everything()):
        register_unknown(SYSTEM, Identity(name="欧阳老", id_number=number), world.station_a)
    digests = [
        member.id_digest,
        member.phone_digest,
        member.id_tail_digest,
        member.phone_tail_digest,
    ]
    ciphers = [bytes(member.id_cipher), bytes(member.phone_cipher)]
    before_texts = _texts_anywhere(*digests)
    assert before_texts and _ciphers_anywhere(*ciphers)  # the scan sees them before

    retention.anonymize_due(SYSTEM)

    assert _texts_anywhere(*digests) == []
    assert _ciphers_anywhere(*ciphers) == []
    assert not PendingCheckIn.unscoped.filter(name="欧阳老").exists()
    member.refresh_from_db()
    for value in ("欧阳老", "横林家具厂", "住崔桥村3组", "13900001111"):
        assert value not in (member.name, member.employer, member.notes, member.deleted_reason)
    assert member.id_mask == "" and member.phone_mask == "" and member.residence_grid is None
    assert member.birth_date == dt.date(member.birth_date.year, 1, 1)
    assert {"gender": member.gender, "joined_on": member.joined_on, "org": member.org_id} == kept
    assert member.deleted_at is not None
    # A search by the number finds nobody, and the number may be registered anew.
    assert not Member.unscoped.filter(id_digest=sensitive.id_digest_of(number)).exists()


def test_anonymization_is_audited_per_batch_and_written_in_each_members_history(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    first, second, third = (_deleted(world, 35) for _ in range(3))
    assert retention.anonymize_due(SYSTEM, batch_size=2) == 3
    entries = AuditEntry.unscoped.filter(action="member.anonymize").order_by("id")
    assert [e.detail["count"] for e in entries] == [2, 1]
    assert sorted(pk for e in entries for pk in e.detail["members"]) == sorted(
        [first.pk, second.pk, third.pk]
    )
    assert entries[0].detail["years"] == 30
    assert MemberChange.objects.filter(action="anonymized").count() == 3


def test_an_anonymized_member_is_never_restored(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    member = _deleted(world, 31)
    retention.anonymize_due(SYSTEM)
    member.refresh_from_db()
    with pytest.raises(ValidationError):
        services.restore_member(Actor(user=world.users["district_admin"]), member)
    member.refresh_from_db()
    assert member.deleted_at is not None


def test_the_dry_run_counts_and_changes_nothing_and_the_command_anonymizes(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    member = _deleted(world, 31, name="欧阳老")
    out = io.StringIO()
    call_command("members", "anonymize", "--dry-run", stdout=out)
    assert "1" in out.getvalue()
    member.refresh_from_db()
    assert member.name == "欧阳老"
    assert not AuditEntry.unscoped.filter(action="member.anonymize").exists()
    call_command("members", "anonymize", stdout=io.StringIO())
    member.refresh_from_db()
    assert member.anonymized_at is not None


def test_a_retention_of_zero_years_anonymizes_nobody(world, settings):
    settings.HELI_RETENTION_YEARS = 0
    _deleted(world, 80)
    assert retention.anonymize_due(SYSTEM) == 0


def test_a_user_without_the_restore_right_cannot_anonymize(world, settings):
    settings.HELI_RETENTION_YEARS = 30
    _deleted(world, 31)
    with pytest.raises(PermissionDenied):
        retention.anonymize_due(Actor(user=world.users["town_admin"]))
    assert not AuditEntry.unscoped.filter(action="member.anonymize").exists()
