"""Floating-record pages: registration, the shared record (三方共管), contacts, duties, the inflow
side's confirmation, return, the lost-contact list and the export."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from heli.accounts.roles import Role
from heli.audit.models import AuditEntry
from heli.core.scoping import Scope, activate
from heli.members.models import Member
from heli.mobility.models import FloatingRecord
from tests import sheets
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _outflow_form(**extra):
    return {
        "direction": "out", "place": "浙江省杭州市余杭区", "since": "2026-06-01",
        "flow_range": "other_province", "reason": "work", "expected_months": "3",
        "place_certain": "on", **extra,
    }  # fmt: skip


def test_a_worker_registers_an_outflow_and_the_member_is_marked(world, client_for):
    client = client_for(world.users["grid_worker"])
    response = client.post(
        reverse("control:floating_create", args=[world.member_a.pk]), _outflow_form()
    )
    record = FloatingRecord.unscoped.get(member=world.member_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("control:floating_detail", args=[record.pk])
    assert (record.outflow_org, record.grid) == (world.branch_a, world.grid_a)
    assert record.document == "certificate_letter"
    world.member_a.refresh_from_db()
    assert world.member_a.status == "floating"


def test_an_inflow_needs_the_grid_where_the_member_lives(world, client_for):
    client = client_for(world.users["grid_worker"])
    url = reverse("control:floating_create", args=[world.member_a.pk])
    response = client.post(url, _outflow_form(direction="in", place="贵州省三都水族自治县"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["grid"]
    assert not FloatingRecord.unscoped.filter(member=world.member_a).exists()


def test_a_future_date_is_refused_with_a_clear_message(world, client_for):
    client = client_for(world.users["grid_worker"])
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("control:floating_create", args=[world.member_a.pk]), _outflow_form(since=future)
    )
    assert list(response.context["form"].errors) == ["since"]
    assert not FloatingRecord.unscoped.filter(member=world.member_a).exists()


def test_logging_a_call_restarts_the_clock_and_joins_the_timeline(world, client_for):
    record = world.outflow_record_a
    assert record.last_contact_at is None
    client = client_for(world.users["grid_worker"])
    client.post(
        reverse("control:floating_contact", args=[record.pk]), {"kind": "call", "note": "在上海"}
    )
    record.refresh_from_db()
    assert record.last_contact_at is not None
    assert list(record.events.values_list("kind", flat=True)) == ["call"]
    page = client.get(reverse("control:floating_detail", args=[record.pk])).content.decode()
    assert "在上海" in page


def test_a_check_in_cannot_be_logged_by_hand_as_a_contact(world, client_for):
    client = client_for(world.users["grid_worker"])
    client.post(
        reverse("control:floating_contact", args=[world.outflow_record_a.pk]),
        {"kind": "checked_in"},
    )
    world.outflow_record_a.refresh_from_db()
    assert world.outflow_record_a.last_contact_at is None


def test_each_party_names_its_owners_and_keeps_the_others(world, client_for):
    record = world.inflow_record_a
    chain_worker = UserFactory(username="chain", role=Role.BRANCH_SECRETARY, org=world.chain_org)
    client_for(chain_worker).post(
        reverse("control:floating_duties", args=[record.pk]), {"education_owner": chain_worker.pk}
    )
    worker = world.users["grid_worker"]
    client_for(worker).post(
        reverse("control:floating_duties", args=[record.pk]), {"contact_owner": worker.pk}
    )
    record.refresh_from_db()
    # The grid worker cannot see the chain's secretary, and their empty choice kept them.
    assert (record.contact_owner, record.education_owner) == (worker, chain_worker)
    assert record.services_owner is None


def test_the_inflow_side_confirms_once(world, client_for):
    record = world.inflow_record_a
    client = client_for(world.users["grid_worker"])
    url = reverse("control:floating_confirm_inflow", args=[record.pk])
    client.post(url)
    record.refresh_from_db()
    assert record.inflow_org == world.branch_a and record.inflow_confirmed_at is not None
    response = client.post(url, follow=True)
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    assert record.events.filter(kind="inflow_confirmed").count() == 1


def test_return_registration_ends_the_record(world, client_for):
    record = world.outflow_record_a
    client = client_for(world.users["branch_secretary"])
    client.post(
        reverse("control:floating_return", args=[record.pk]),
        {"ended_on": timezone.localdate().isoformat()},
    )
    record.refresh_from_db()
    world.outflow_a.refresh_from_db()
    assert record.status == "returned" and world.outflow_a.status == "normal"
    page = client.get(reverse("control:floating_detail", args=[record.pk])).content.decode()
    assert reverse("control:floating_return", args=[record.pk]) not in page


def test_the_list_filters_by_contact_state(world, client_for):
    client = client_for(world.users["district_admin"])
    lost = client.get(reverse("control:floating_list"), {"state": "lost"}).content.decode()
    # 王强 left 120 days ago without any contact: lost; 周杰 (40 days) and 潘永贤 are not.
    assert "王强" in lost and "周杰" not in lost and "潘永贤" not in lost
    everyone = client.get(reverse("control:floating_list")).content.decode()
    assert all(name in everyone for name in ("王强", "周杰", "潘永贤"))


def test_the_lost_list_counts_by_town_for_the_district(world, client_for):
    client = client_for(world.users["district_admin"])
    response = client.get(reverse("control:floating_lost"))
    areas = response.context["children"]
    assert [(row["region"].name, row["lost"]) for row in areas] == [("横林镇", 1)]
    assert [r.member.name for r in response.context["page"].object_list] == ["王强"]


def test_the_lost_lists_areas_count_each_contact_state_as_the_records_say(world, client_for):
    from heli.mobility import clock
    from heli.mobility.models import Document
    from tests.factories import MemberFactory

    now = timezone.now()
    for state in ("warning", "lost", "lapse", "lapse"):
        silent = clock.threshold(clock.ContactState(state)) + 1
        away = MemberFactory(org=world.branch_a, residence_grid=world.grid_a, status="floating",
                             floating_direction="out", floating_place="上海市浦东新区")  # fmt: skip
        FloatingRecord.unscoped.create(
            member=away, direction="out", outflow_org=world.branch_a, place="上海市浦东新区",
            grid=world.grid_a, since=dt.date(2025, 1, 5), flow_range="province",
            reason="work", expected_months=12, document=Document.TRANSFER,
            last_contact_at=now - dt.timedelta(days=silent),
        )  # fmt: skip
    areas = client_for(world.users["district_admin"]).get(reverse("control:floating_lost"))
    with activate(Scope.everything()):
        expected = {
            s.value: FloatingRecord.objects.filter(
                clock.state_q(s), grid__path__startswith=world.town_a.path
            ).count()
            for s in (clock.ContactState.WARNING, clock.ContactState.LOST, clock.ContactState.LAPSE)
        }
    row = next(r for r in areas.context["children"] if r["region"] == world.town_a)
    assert {key: row[key] for key in expected} == expected
    assert expected["lapse"] >= 2 and expected["warning"] >= 1 and expected["lost"] >= 1


def test_the_lost_list_of_a_town_admin_is_their_town(world, client_for):
    response = client_for(world.users["outsider"]).get(reverse("control:floating_lost"))
    assert response.context["place"] == world.town_b
    assert response.context["rows"] == []


def test_the_export_is_masked_and_audited(world, client_for):
    client = client_for(world.users["district_admin"])
    response = client.get(reverse("control:floating_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(sheets.body(response))).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "王强" in cells and "潘永贤" in cells
    with activate(world.users["district_admin"].scope()):
        numbers = [m.id_mask for m in Member.objects.all()]
    assert not any(mask in cells for mask in numbers)
    with activate(Scope.everything()):
        entry = AuditEntry.objects.get(action="floating.export")
    assert entry.detail["rows"] == 3 and entry.detail["unmasked"] is False


def test_the_member_page_links_to_the_floating_record(world, client_for):
    client = client_for(world.users["grid_worker"])
    page = client.get(reverse("control:member_detail", args=[world.outflow_a.pk])).content
    assert reverse("control:floating_detail", args=[world.outflow_record_a.pk]) in page.decode()


def test_the_contact_phone_is_stored_encrypted_shown_masked_and_revealed_with_audit(
    world, client_for
):
    client = client_for(world.users["branch_secretary"])
    client.post(
        reverse("control:floating_create", args=[world.member_a.pk]),
        _outflow_form(contact_phone="139 0000 1234"),
    )
    record = FloatingRecord.unscoped.get(member=world.member_a)
    assert record.contact_phone_mask == "139****1234"
    assert b"13900001234" not in bytes(record.contact_phone_cipher)
    url = reverse("control:floating_detail", args=[record.pk])
    assert "13900001234" not in client.get(url).content.decode()
    revealed = client.post(reverse("control:floating_reveal", args=[record.pk]))
    assert "13900001234" in revealed.content.decode()
    with activate(Scope.everything()):
        assert AuditEntry.objects.filter(action="floating.reveal").count() == 1
    worker = client_for(world.users["grid_worker"])
    assert worker.post(reverse("control:floating_reveal", args=[record.pk])).status_code == 403


def test_a_wrong_contact_phone_is_refused(world, client_for):
    client = client_for(world.users["grid_worker"])
    response = client.post(
        reverse("control:floating_create", args=[world.member_a.pk]),
        _outflow_form(contact_phone="12345"),
    )
    assert list(response.context["form"].errors) == ["contact_phone"]


def test_a_member_with_an_activity_card_hands_it_in_on_return(world, client_for):
    record = world.inflow_record_a
    record.card_number, record.card_issued_on = "LD2026-0042", record.since
    record.save()
    client = client_for(world.users["grid_worker"])
    url = reverse("control:floating_return", args=[record.pk])
    today = timezone.localdate().isoformat()
    refused = client.post(url, {"ended_on": today})
    assert list(refused.context["form"].errors) == ["card_handed_in"]
    record.refresh_from_db()
    assert record.status == "active"
    client.post(url, {"ended_on": today, "card_handed_in": "on"})
    record.refresh_from_db()
    assert record.status == "returned"
    assert record.events.get(kind="returned").detail["card"] == "LD2026-0042"


def test_the_record_shows_its_reminder_letters(world, client_for):
    page = client_for(world.users["grid_worker"]).get(
        reverse("control:floating_detail", args=[world.outflow_record_a.pk])
    )
    assert world.letter_a.number in page.content.decode()


def _options(html: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of the options of the select named `name`, the empty choice left out."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return [
        (value, text.strip())
        for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
        if value
    ]


def test_the_registration_form_labels_its_two_organization_fields_apart(world, client_for):
    client = client_for(world.users["grid_worker"])
    form = client.get(reverse("control:floating_create", args=[world.member_a.pk])).context["form"]
    with translation.override("zh-hans"):
        labels = [str(form[name].label) for name in ("other_org", "other_org_name")]
        helps = [str(form[name].help_text) for name in ("other_org", "other_org_name")]
    assert len(set(labels)) == 2 and "对方党组织" not in labels
    assert all(helps) and len(set(helps)) == 2


def test_the_liaison_choice_offers_by_name_only_people_who_act_for_the_organization(
    world, client_for
):
    UserFactory(username="gone", last_name="离职者", role=Role.GRID_WORKER, org=world.branch_a,
                is_active=False)  # fmt: skip
    UserFactory(username="next_door", last_name="邻格员", role=Role.GRID_WORKER,
                org=world.branch_a2)  # fmt: skip
    client = client_for(world.users["district_admin"])
    html = client.get(reverse("control:floating_create", args=[world.member_a.pk])).content
    offered = _options(html.decode(), "liaison")
    u = world.users
    # Branch A's own people and the organizations above it; nobody without the right to edit
    # members (the auditor, the liaison of a department, service staff), nobody inactive,
    # nobody of a sibling branch or of town B.
    expected = [u["district_admin"], u["town_admin"], u["branch_secretary"], u["grid_worker"]]
    assert sorted(value for value, _ in offered) == sorted(str(user.pk) for user in expected)
    texts = [text for _, text in offered]
    assert all(user.display_name in " ".join(texts) for user in expected)
    assert not any(user.username in text for user in u.values() for text in texts)


def test_an_inflow_liaison_comes_from_the_grid_where_the_member_lives(world, client_for):
    client = client_for(world.users["district_admin"])
    member = world.in_service_a  # lives in grid A2
    url = reverse("control:floating_create", args=[member.pk]) + "?direction=in"
    offered = _options(client.get(url).content.decode(), "liaison")
    u = world.users
    assert sorted(value for value, _ in offered) == sorted(
        str(user.pk) for user in (u["district_admin"], u["town_admin"])
    )  # branch A2 has no account of its own; branch A's people do not act for it


def test_a_liaison_who_does_not_act_for_the_organization_is_refused(world, client_for):
    client = client_for(world.users["district_admin"])
    response = client.post(
        reverse("control:floating_create", args=[world.member_a.pk]),
        _outflow_form(liaison=world.users["auditor"].pk),
    )
    assert response.status_code == 200 and "liaison" in response.context["form"].errors
    assert not FloatingRecord.unscoped.filter(member=world.member_a).exists()


def test_the_owners_per_duty_are_people_of_ones_own_side_shown_by_name(world, client_for):
    chain_worker = UserFactory(username="chain", role=Role.BRANCH_SECRETARY, org=world.chain_org)
    reader = UserFactory(username="reader_a", role=Role.AUDITOR, org=world.branch_a)
    record = world.inflow_record_a
    html = client_for(world.users["grid_worker"]).get(
        reverse("control:floating_duties", args=[record.pk])
    )
    offered = _options(html.content.decode(), "contact_owner")
    u = world.users
    values = {value for value, _ in offered}
    assert str(u["grid_worker"].pk) in values and str(u["branch_secretary"].pk) in values
    assert str(reader.pk) not in values and str(chain_worker.pk) not in values
    assert not any(user.username in text for user in u.values() for _, text in offered)


def test_each_tab_of_the_lost_list_says_what_it_has_none_of(world, client_for):
    # Town B's only record left 40 days ago: every tab is empty, each in its own words.
    client = client_for(world.users["outsider"])
    url = reverse("control:floating_lost")
    texts = {}
    for state in ("warning", "lost", "lapse", ""):
        html = client.get(url, {"state": state} if state else {}).content.decode()
        texts[state] = re.search(r'<div class="empty-state"[^>]*>(.*?)</div>', html, re.S)[1]
    assert "预警" in texts["warning"] and "失联党员" not in texts["warning"]
    assert "失联" in texts["lost"] and "90" in texts["lost"]
    assert "六个月" in texts["lapse"]
    assert "失联" in texts[""]
    assert len(set(texts.values())) == 4
