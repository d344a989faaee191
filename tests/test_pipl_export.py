"""A member's full record for a personal-information access request (PIPL, #10 part 16a): one
workbook with everything heli holds about the person, numbers in full, audited."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from heli.audit.actions import ACTIONS
from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.campaigns import services as campaigns
from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.mobility import checkins, floating
from heli.transfers import services as transfers

pytestmark = pytest.mark.django_db


def _everything_about(world) -> dict[str, str]:
    """Give the floating member of grid A one of every kind of record; what each should show."""
    member = world.outflow_a
    worker = Actor(user=world.users["town_admin"])
    with activate(Scope.everything()):
        floating.log_contact(worker, world.outflow_record_a, "call", "电话里说在浦东打工")
        checkins.record_check_in(worker, member, world.station_a2, source="staff")
        campaigns.decide(
            worker,
            world.task_a,
            "located",
            {"new_address": "上海市浦东新区张江路88号", "new_phone": "13955556666"},
        )
        transfer = transfers.apply(
            Actor.system("test"),
            member,
            {"to_org": world.external, "flow_range": "other_province", "reason": "回原籍工作"},
        )
    return {
        "id number": unseal(member, "id_cipher"),
        "phone": unseal(member, "phone_cipher"),
        "organization": world.branch_a.name,
        "floating record": world.outflow_record_a.place,
        "floating event": "电话里说在浦东打工",
        "check-in": world.station_a2.name,
        "letter": world.letter_a.number,
        "transfer": transfer.reason,
        "sweep task": "上海市浦东新区张江路88号",
        "sweep task phone": "13955556666",
        "history": world.outflow_a.name,
    }


def _texts(response) -> dict[str, str]:
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return {
        sheet.title: "\n".join(
            " ".join(str(v) for v in row if v is not None)
            for row in sheet.iter_rows(values_only=True)
        )
        for sheet in book.worksheets
    }


def test_a_members_full_record_holds_every_part_in_full_and_is_audited(world, client):
    expected = _everything_about(world)
    secretary = world.users["branch_secretary"]
    client.force_login(secretary)
    url = reverse("control:member_pipl_export", kwargs={"pk": world.outflow_a.pk})
    response = client.post(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment")
    texts = _texts(response)
    whole = "\n".join(texts.values())
    missing = [part for part, value in expected.items() if value not in whole]
    assert not missing, f"parts missing from the record: {missing}"
    assert len(texts) >= 9  # details, history, floating, events, check-ins, letters, …
    with translation.override("zh-hans"):
        issued = str(ACTIONS["letter.issue"].label)
        contacted = str(ACTIONS["floating.contact"].label)
    assert issued in whole and contacted in whole  # the audit entries about the person
    entry = AuditEntry.unscoped.get(action="member.pipl_export", object_id=str(world.outflow_a.pk))
    assert entry.user == secretary and entry.detail["rows"] > 10


def test_the_record_is_only_for_those_who_may_see_numbers_in_full_and_only_by_post(world, client):
    url = reverse("control:member_pipl_export", kwargs={"pk": world.outflow_a.pk})
    client.force_login(world.users["grid_worker"])
    assert client.post(url).status_code == 403
    client.force_login(world.users["branch_secretary"])
    assert client.get(url).status_code == 405
    client.force_login(world.users["outsider"])
    assert client.post(url).status_code == 404
    assert not AuditEntry.unscoped.filter(action="member.pipl_export").exists()


def test_the_member_page_offers_the_record_to_those_with_the_right(world, client):
    url = reverse("control:member_detail", kwargs={"pk": world.member_a.pk})
    export = reverse("control:member_pipl_export", kwargs={"pk": world.member_a.pk})
    client.force_login(world.users["branch_secretary"])
    assert export in client.get(url).content.decode()
    client.force_login(world.users["grid_worker"])
    assert export not in client.get(url).content.decode()
