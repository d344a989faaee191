"""Self-reported check-ins (自报): a QR check-in is anyone's claim to be the member, so it shows
on the timeline and asks the home branch to confirm it, but only a verified contact (a check-in
recorded or confirmed by staff, an inflow confirmation) settles a letter or the lost-contact
clock (the rule in docs/architecture.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.letters import services as letters
from heli.letters.models import CloseReason, LetterStatus, ReminderLetter
from heli.mobility import clock, floating, self_reports
from heli.mobility.checkins import record_check_in
from heli.mobility.clock import ContactState
from heli.mobility.models import CheckIn, CheckInSource, CheckInStatus, FloatingRecord
from heli.reports.floating import figures

pytestmark = pytest.mark.django_db


def _scan(client, world, station=None, name: str = "王强"):
    """王强 (or `name`) checks in on a phone with the number of 王强's ID card."""
    station = station or world.station_a
    url = reverse("public:station", kwargs={"token": station.token})
    number = unseal(world.outflow_a, "id_cipher")
    assert client.post(url, {"name": name, "id_or_phone": number}).status_code == 302
    return CheckIn.unscoped.get(member=world.outflow_a, station=station)


def _sent_letter(world) -> ReminderLetter:
    return letters.mark_sent(
        Actor(world.users["grid_worker"]), world.letter_a, timezone.localdate()
    )


def _record(world) -> FloatingRecord:
    return FloatingRecord.unscoped.get(pk=world.outflow_record_a.pk)


def _todos(client) -> dict:
    return {item.key: item for item in client.get("/").context["todos"]}


def test_a_qr_check_in_is_self_reported_and_settles_nothing(world, client):
    letter = _sent_letter(world)
    assert clock.state_of(_record(world)) == ContactState.LOST
    check_in = _scan(client, world)
    assert (check_in.source, check_in.status) == (CheckInSource.QR, CheckInStatus.SELF_REPORTED)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    record = _record(world)
    assert record.last_contact_at is None and record.last_reported_at == check_in.at
    assert clock.state_of(record) == ContactState.LOST
    assert AuditEntry.unscoped.filter(action="checkin.create").exists()


def test_a_self_report_shows_on_the_records_and_the_members_timeline(world, client):
    check_in = _scan(client, world)
    assert floating.timeline(_record(world))[0] == check_in
    client.force_login(world.users["grid_worker"])
    page = client.get(reverse("control:floating_detail", args=[world.outflow_record_a.pk]))
    timeline = page.content.decode().split('data-testid="timeline"')[1]
    assert "自报" in timeline and "待确认" in timeline
    assert 'data-testid="last-reported"' in page.content.decode()
    member_page = client.get(reverse("control:member_detail", args=[world.outflow_a.pk]))
    check_ins = member_page.content.decode().split('data-testid="member-check-ins"')[1]
    assert world.station_a.name in check_ins and "自报" in check_ins


def test_a_self_report_waits_on_the_home_branchs_desk_not_the_stations(world, client):
    _scan(client, world, station=world.station_b)  # 王强 of branch A, at a station of town B
    client.force_login(world.users["grid_worker"])
    item = _todos(client)["self_reported"]
    assert item.count == 1 and item.section == "check"
    listed = client.get(item.url).context["page"]
    assert [c.member_id for c in listed.object_list] == [world.outflow_a.pk]
    client.force_login(world.users["outsider"])  # town B sees the check-in at its station...
    with activate(world.users["outsider"].scope()):
        assert CheckIn.objects.filter(member=world.outflow_a).exists()
    assert "self_reported" not in _todos(client)  # ...but it is not theirs to confirm


def test_confirming_it_settles_the_letter_and_clears_the_lost_state(world, client):
    letter = _sent_letter(world)
    check_in = _scan(client, world)
    client.force_login(world.users["grid_worker"])
    response = client.post(reverse("control:check_in_batch_confirm"), {"pick": [check_in.pk]})
    assert response.status_code == 302
    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.VERIFIED
    assert check_in.decided_by == world.users["grid_worker"]
    letter.refresh_from_db()
    assert (letter.status, letter.close_reason) == (LetterStatus.CLOSED, CloseReason.CHECKED_IN)
    record = _record(world)
    assert record.last_contact_at == check_in.at  # the check-in's time, not the confirmation's
    assert clock.state_of(record) == ContactState.OK
    entry = AuditEntry.unscoped.get(action="checkin.verify")
    assert entry.detail["count"] == 1 and entry.detail["check_ins"][0]["id"] == check_in.pk
    assert "self_reported" not in _todos(client)


def test_confirming_never_moves_the_last_contact_back(world, client):
    check_in = _scan(client, world)
    later = check_in.at + dt.timedelta(hours=2)
    FloatingRecord.unscoped.filter(pk=world.outflow_record_a.pk).update(last_contact_at=later)
    self_reports.confirm(Actor(world.users["grid_worker"]), [check_in])
    assert _record(world).last_contact_at == later


def test_confirming_many_at_once_is_one_audit_entry(world, client):
    first = _scan(client, world)
    second = _scan(client, world, station=world.station_a2)
    self_reports.confirm(Actor(world.users["branch_secretary"]), [first, second])
    statuses = set(CheckIn.unscoped.values_list("status", flat=True))
    assert statuses == {CheckInStatus.VERIFIED}
    entry = AuditEntry.unscoped.get(action="checkin.verify")
    assert entry.detail["count"] == 2


def test_rejecting_it_changes_nothing_but_is_recorded(world, client):
    letter = _sent_letter(world)
    check_in = _scan(client, world)
    client.force_login(world.users["grid_worker"])
    url = reverse("control:check_in_batch_reject")
    client.post(url, {"pick": [check_in.pk], "reason": ""})
    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.SELF_REPORTED  # a reason is required
    client.post(url, {"pick": [check_in.pk], "reason": "打13912345678核实"})
    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.SELF_REPORTED  # and holds no phone (free text)
    client.post(url, {"pick": [check_in.pk], "reason": "电话核实：本人在上海，未到站"})
    check_in.refresh_from_db()
    assert check_in.status == CheckInStatus.REJECTED
    assert check_in.reject_reason == "电话核实：本人在上海，未到站"
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    record = _record(world)
    assert record.last_contact_at is None and record.last_reported_at is None
    assert clock.state_of(record) == ContactState.LOST
    entry = AuditEntry.unscoped.get(action="checkin.deny")
    assert entry.detail["reason"] == "电话核实：本人在上海，未到站"
    timeline = floating.timeline(record)
    assert any("非本人" in str(detail) for detail in timeline[0].details)


def test_a_check_in_is_decided_once(world, client):
    check_in = _scan(client, world)
    actor = Actor(world.users["grid_worker"])
    self_reports.reject(actor, [check_in], "不是本人")
    with pytest.raises(ValidationError):
        self_reports.confirm(actor, [check_in])
    with pytest.raises(ValidationError):
        self_reports.reject(actor, [check_in], "不是本人")
    assert CheckIn.unscoped.get(pk=check_in.pk).status == CheckInStatus.REJECTED


def test_deciding_a_self_report_needs_the_right_in_the_service(world, client):
    check_in = _scan(client, world)
    for service in (
        lambda actor: self_reports.confirm(actor, [check_in]),
        lambda actor: self_reports.reject(actor, [check_in], "不是本人"),
    ):
        with pytest.raises(PermissionDenied):
            service(Actor(world.users["department_liaison"]))


def test_another_towns_check_in_cannot_be_confirmed(world, client):
    check_in = record_check_in(Actor(user=None), world.member_b, world.station_b)[0]
    client.force_login(world.users["grid_worker"])
    response = client.post(reverse("control:check_in_batch_confirm"), {"pick": [check_in.pk]})
    assert response.status_code == 404
    assert CheckIn.unscoped.get(pk=check_in.pk).status == CheckInStatus.SELF_REPORTED


def test_a_staff_recorded_check_in_settles_at_once(world, client):
    letter = _sent_letter(world)
    client.force_login(world.users["grid_worker"])
    url = reverse("control:station_check_in", kwargs={"pk": world.station_a.pk})
    assert client.post(url, {"member": world.outflow_a.pk}).status_code == 302
    check_in = CheckIn.unscoped.get(member=world.outflow_a)
    assert (check_in.source, check_in.status) == (CheckInSource.STAFF, CheckInStatus.VERIFIED)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CLOSED
    assert _record(world).last_contact_at == check_in.at


def test_staff_recording_the_member_the_day_they_scanned_verifies_the_scan(world, client):
    letter = _sent_letter(world)
    scanned = _scan(client, world)
    client.force_login(world.users["grid_worker"])
    url = reverse("control:station_check_in", kwargs={"pk": world.station_a.pk})
    assert client.post(url, {"member": world.outflow_a.pk}).status_code == 302
    scanned.refresh_from_db()
    assert scanned.status == CheckInStatus.VERIFIED and CheckIn.unscoped.count() == 1
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CLOSED


def test_an_inflow_confirmation_is_a_verified_contact(world, client):
    letter = _sent_letter(world)
    floating.confirm_inflow(Actor(world.users["grid_worker"]), _record(world), world.external)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CLOSED
    assert clock.state_of(_record(world)) == ContactState.OK


def test_a_pending_check_in_confirmed_by_staff_is_verified(world):
    from heli.mobility import checkins

    actor = Actor(world.users["branch_secretary"])
    check_in = checkins.confirm_pending(actor, world.pending_a, world.member_a)
    assert check_in.status == CheckInStatus.VERIFIED


def test_the_figures_count_self_reports_but_not_rejected_ones(world, client):
    check_in = _scan(client, world)
    with activate(world.users["district_admin"].scope()):
        assert figures().check_in_points == 1
    self_reports.reject(Actor(world.users["grid_worker"]), [check_in], "不是本人")
    with activate(world.users["district_admin"].scope()):
        assert figures().check_in_points == 0


def test_the_history_list_filters_by_status(world, client):
    _scan(client, world)
    record_check_in(Actor(world.users["grid_worker"]), world.member_a, world.station_a,
                    source=CheckInSource.STAFF)  # fmt: skip
    client.force_login(world.users["grid_worker"])
    url = reverse("control:check_in_history")
    page = client.get(url, {"status": "self_reported"}).context["page"]
    assert [c.member_id for c in page.object_list] == [world.outflow_a.pk]
    page = client.get(url, {"status": "verified"}).context["page"]
    assert [c.member_id for c in page.object_list] == [world.member_a.pk]
