"""Every history table besides the audit log (letter events, transfer steps, floating events,
task events, member changes) is append-only and sealed: each row carries an HMAC-SM3 of its
content with the audit key, `heli audit verify` names the first row whose content no longer
matches, and neither a row nor a queryset can be updated or deleted through the ORM."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from heli.campaigns.models import TaskEvent
from heli.core import seal
from heli.core.models import AppendOnlyError
from heli.letters.models import LetterEvent
from heli.members.models import MemberChange
from heli.mobility.models import FloatingEvent
from heli.transfers.models import TransferStep
from tests import tamper

ROWS = {
    LetterEvent: lambda w: {"letter": w.letter_a, "to_status": "sent", "kind": "sent"},
    TransferStep: lambda w: {
        "transfer": w.transfer_a,
        "action": "note",
        "to_status": "issued",
        "at": timezone.now(),
        "username": "town_a",
        "detail": {"note": "对方已收到"},
    },
    FloatingEvent: lambda w: {
        "record": w.outflow_record_a,
        "kind": "call",
        "username": "worker_a",
        "detail": {"kind": "phone", "note": "已联系"},
    },
    TaskEvent: lambda w: {
        "task": w.task_a,
        "kind": "assigned",
        "username": "town_a",
        "detail": {"from": "", "to": "worker_a"},
    },
    MemberChange: lambda w: {
        "member": w.member_a,
        "username": "town_a",
        "action": "update",
        "fields": {"employer": ["", "某公司"], "n": 1.5},
    },
}
MODELS = list(ROWS)
TEXT_COLUMN = {LetterEvent: "kind", TransferStep: "action", FloatingEvent: "kind",
               TaskEvent: "kind", MemberChange: "action"}  # fmt: skip


def _broken() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    return str(failure.value)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_history_row_is_sealed_and_reads_back_with_the_same_seal(world, model):
    row = model.objects.create(**ROWS[model](world))
    assert re.fullmatch(r"[0-9a-f]{64}", row.seal)
    assert seal.seal_of(model.objects.get(pk=row.pk)) == row.seal


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_verify_names_the_table_and_id_of_a_changed_history_row(world, model):
    row = model.objects.create(**ROWS[model](world))
    out = io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=io.StringIO())
    assert "all intact" in out.getvalue()
    tamper.flip_a_byte(model._meta.db_table, row.pk, TEXT_COLUMN[model])
    assert f"{model._meta.db_table} row {row.pk} " in _broken()


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_history_rows_refuse_updates_and_deletes_one_by_one_and_by_queryset(world, model):
    row = model.objects.create(**ROWS[model](world))
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).update(username="tampered")
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).delete()
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_rows_inserted_in_bulk_are_sealed_too(world, model):
    model.objects.bulk_create([model(**ROWS[model](world)) for _ in range(3)])
    rows = list(model.objects.order_by("-id")[:3])
    assert all(r.seal and seal.seal_of(r) == r.seal for r in rows)


@pytest.mark.django_db
def test_a_history_row_sealed_for_one_table_does_not_verify_in_another(world):
    event = LetterEvent.objects.create(**ROWS[LetterEvent](world))
    assert seal.seal_of(event) == event.seal
    assert seal.digest("letters.letterevent", seal.content(event)) == event.seal
    assert seal.digest("transfers.transferstep", seal.content(event)) != event.seal
