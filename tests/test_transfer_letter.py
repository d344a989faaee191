"""The printed introduction letter (组织关系介绍信): the full ID number for the issuing side's
people who may see it, audited as a reveal and never cached; a masked preview for the others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from heli.audit.actions import LABELS
from heli.audit.models import AuditEntry
from heli.core.sealed import unseal
from tests.test_transfers import in_transit

pytestmark = pytest.mark.django_db


def _letter(client, user, transfer):
    client.force_login(user)
    return client.get(reverse("control:transfer_letter", kwargs={"pk": transfer.pk}))


def test_the_issuing_branch_secretary_prints_the_letter_with_the_full_id_number_audited(
    world, client
):
    transfer = world.transfer_a
    full = unseal(world.member_a, "id_cipher")
    response = _letter(client, world.users["branch_secretary"], transfer)
    html = response.content.decode()
    assert response.status_code == 200
    assert full in html and world.member_a.id_mask not in html
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.unscoped.get(action="transfer.letter_print")
    assert entry.username == "secretary_a" and entry.object_id == str(transfer.pk)
    assert full not in str(entry.detail)
    assert "transfer.letter_print" in LABELS
    _letter(client, world.users["town_admin"], transfer)  # every opening is one more entry
    assert AuditEntry.unscoped.filter(action="transfer.letter_print").count() == 2


def test_without_the_right_to_see_id_numbers_the_letter_is_a_masked_preview(world, client):
    full = unseal(world.member_a, "id_cipher")
    response = _letter(client, world.users["grid_worker"], world.transfer_a)
    html = response.content.decode()
    assert response.status_code == 200
    assert world.member_a.id_mask in html and full not in html
    assert 'data-testid="masked-preview"' in html and 'data-testid="print"' not in html
    assert not AuditEntry.unscoped.filter(action="transfer.letter_print").exists()


def test_the_receiving_side_sees_the_letter_masked_it_gets_the_paper_one(world, client):
    transfer = in_transit(world, to=world.branch_b)
    full = unseal(transfer.member, "id_cipher")
    html = _letter(client, world.users["outsider"], transfer).content.decode()
    assert transfer.member.id_mask in html and full not in html
    assert not AuditEntry.unscoped.filter(action="transfer.letter_print").exists()


def test_a_letter_not_yet_issued_reveals_nothing(world, client):
    full = unseal(world.member_b, "id_cipher")
    response = _letter(client, world.users["outsider"], world.transfer_b)
    assert full not in response.content.decode()
    assert not AuditEntry.unscoped.filter(action="transfer.letter_print").exists()
