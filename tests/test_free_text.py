"""Numbers in free text (#10 part 1): an ID number or phone written into a note, a place or a
reason is refused when written, and text holding one from before is shown masked on every
page, print view, masked export and history sentence, for every role."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.core import freetext
from heli.members.models import Member
from heli.mobility.models import FloatingRecord
from tests.sheets import read
from tests.world import ROLES

pytestmark = pytest.mark.django_db

ID_NUMBER = "320404198506150018"
PHONE = "13912345678"
NOTE = f"家属联系电话 139 1234 5678，身份证 {ID_NUMBER}，座机 0519-86661234"


def test_it_masks_every_way_people_write_a_number():
    assert freetext.mask("电话13912345678") == "电话139****5678"
    assert freetext.mask("电话 139-1234-5678。") == "电话 139****5678。"
    assert freetext.mask(f"证{ID_NUMBER}号") == "证" + "*" * 16 + "18号"
    assert freetext.mask("身份证32040419850615001x") == "身份证" + "*" * 16 + "1x"
    assert freetext.mask("座机0519-86661234") == "座机**********34"
    assert freetext.mask("卡号6222020200112233445") == "卡号" + "*" * 17 + "45"
    assert freetext.mask("电话１３９１２３４５６７８") == "电话139****5678"


def test_it_leaves_dates_house_numbers_and_counts_alone():
    text = "2024-01-01 至 2025-06-30 在苏州市工业园区星湖街328号，共12人，编号20240101"
    assert freetext.mask(text) == text
    assert freetext.numbers_in(text) == []


def test_a_mask_in_a_form_stands_again_for_the_number_it_hid():
    shown = freetext.mask(NOTE)
    assert PHONE not in shown and ID_NUMBER not in shown
    assert freetext.keep_masked(shown + "；已走访", NOTE) == NOTE + "；已走访"


def _legacy_note(member: Member, note: str = NOTE) -> None:
    """A note written before the rule (no form refuses it now): straight into the table."""
    Member.unscoped.filter(pk=member.pk).update(notes=note)


def _shows_no_number(content: str) -> None:
    for number in (ID_NUMBER, PHONE, "139 1234 5678", "86661234"):
        assert number not in content


@pytest.mark.parametrize("role", [r for r in ROLES if r != "outsider"])
def test_every_role_reads_a_notes_numbers_masked_on_the_member_page(world, client, role):
    _legacy_note(world.member_a)
    client.force_login(world.users[role])
    response = client.get(reverse("control:member_detail", kwargs={"pk": world.member_a.pk}))
    if response.status_code in (403, 404):
        pytest.skip("the role does not see the member")
    content = response.content.decode()
    assert "139****5678" in content
    _shows_no_number(content)


def test_the_masked_export_masks_notes_and_the_unmasked_keeps_them(world, client):
    _legacy_note(world.member_a)
    client.force_login(world.users["town_admin"])
    url = reverse("control:member_export")
    rows = read(client.get(url)).rows
    notes = [cell for row in rows for cell in row if isinstance(cell, str) and "家属" in cell]
    assert notes and all(PHONE not in n and "139****5678" in n for n in notes)
    full = read(client.get(url, {"unmasked": "1"})).rows
    assert any(NOTE in cell for row in full for cell in row if isinstance(cell, str))


def test_the_member_form_refuses_a_number_in_the_notes(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:member_edit", kwargs={"pk": world.member_a.pk})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"joined_on": "2010-07-01", "notes": f"新电话{PHONE}"})
    with translation.override("zh-hans"):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("notes", []))
    assert "请勿在此填写身份证号或手机号" in errors and "139****5678" in errors
    assert Member.unscoped.get(pk=world.member_a.pk).notes == ""


def test_editing_a_member_shows_an_old_notes_number_masked_and_keeps_it(world, client):
    _legacy_note(world.member_a)
    client.force_login(world.users["grid_worker"])
    url = reverse("control:member_edit", kwargs={"pk": world.member_a.pk})
    response = client.get(url)
    _shows_no_number(response.content.decode())
    form = response.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"joined_on": "2010-07-01", "notes": form.initial["notes"] + "；已走访"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert Member.unscoped.get(pk=world.member_a.pk).notes == NOTE + "；已走访"


def test_the_floating_record_page_masks_the_place_and_address(world, client):
    record_ = world.outflow_record_a
    FloatingRecord.unscoped.filter(pk=record_.pk).update(
        place=f"苏州 联系{PHONE}", address=f"星湖街328号 {ID_NUMBER}"
    )
    client.force_login(world.users["district_admin"])
    response = client.get(reverse("control:floating_detail", kwargs={"pk": record_.pk}))
    assert response.status_code == 200
    _shows_no_number(response.content.decode())
    lists = client.get(reverse("control:floating_list"))
    _shows_no_number(lists.content.decode())


def test_the_audit_log_shows_a_number_in_a_reason_masked(world, client):
    record(
        Actor(world.users["town_admin"]),
        "member.delete",
        world.member_a,
        detail={"reason": f"本人来电 139-1234-5678 要求，证号{ID_NUMBER}"},
    )
    assert AuditEntry.unscoped.filter(action="member.delete").exists()
    client.force_login(world.users["district_admin"])
    content = client.get(reverse("control:audit_log")).content.decode()
    assert "139****5678" in content
    _shows_no_number(content)


def test_the_import_refuses_a_number_in_the_notes(world, tmp_path, monkeypatch):
    from heli.members.import_models import JobStatus
    from tests.test_member_import import make_xlsx, member_row, problem_text, run_check

    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))
    row = member_row(world, notes=f"联系人电话{PHONE}")
    with translation.override("zh-hans"):
        job = run_check(world.users["town_admin"], make_xlsx([row]))
    assert job.status == JobStatus.INVALID
    assert "请勿在此填写身份证号或手机号" in problem_text(job)
    assert PHONE not in problem_text(job)


def test_every_page_showing_free_text_masks_the_numbers_written_before_the_rule(world, client):
    from heli.campaigns.models import Campaign, CampaignTask
    from heli.orgs.models import PartyOrg
    from heli.transfers.models import Transfer

    legacy = f"联系 {PHONE} 证 {ID_NUMBER}"
    _legacy_note(world.member_a, legacy)
    Member.unscoped.filter(pk=world.deleted_a.pk).update(
        deleted_at="2026-01-01T00:00:00Z", deleted_reason=legacy, employer=legacy
    )
    FloatingRecord.unscoped.filter(
        pk__in=[world.outflow_record_a.pk, world.inflow_record_a.pk]
    ).update(place=legacy)
    Transfer.unscoped.filter(pk=world.transfer_a.pk).update(reason=legacy, to_place=legacy)
    Campaign.unscoped.filter(pk=world.campaign_a.pk).update(note=legacy)
    CampaignTask.unscoped.filter(pk=world.task_a.pk).update(
        note=legacy, new_address=legacy, outcome="unreachable", done_at="2026-11-01T00:00:00Z"
    )
    PartyOrg.unscoped.filter(pk=world.external.pk).update(external_place=legacy)
    pages = [
        ("control:member_detail", world.member_a.pk),
        ("control:member_deleted_list", None),
        ("control:floating_detail", world.outflow_record_a.pk),
        ("control:floating_nearby", world.inflow_record_a.pk),
        ("control:floating_list", None),
        ("control:transfer_detail", world.transfer_a.pk),
        ("control:campaign_detail", world.campaign_a.pk),
        ("control:campaign_task", world.task_a.pk),
        ("control:campaign_report", world.campaign_a.pk),
        ("control:org_detail", world.external.pk),
    ]
    client.force_login(world.users["district_admin"])
    for name, pk in pages:
        response = client.get(reverse(name, args=[pk] if pk else []))
        assert response.status_code == 200, name
        content = response.content.decode()
        assert "139****5678" in content, name
        _shows_no_number(content)
