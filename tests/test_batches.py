"""Work that comes in batches: each batch is one transaction with one audit entry naming every
object; a row outside the user's subtree answers 404 for the whole batch and changes nothing."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.campaigns.models import CampaignTask, Outcome
from heli.campaigns.services import decide
from heli.core.sealed import unseal
from heli.letters.models import ReminderLetter
from heli.letters.services import cancel
from heli.mobility.checkins import Identity, register_unknown
from heli.mobility.models import CheckIn, PendingCheckIn, PendingStatus
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def entries(action: str):
    return AuditEntry.unscoped.filter(action=action).order_by("id")


# Pending check-ins ------------------------------------------------------------------------------


def _pending_of(member, station, name=None):
    number = unseal(member, "id_cipher")
    return register_unknown(
        Actor(user=None), Identity(name=name or member.name, id_number=number), station
    )


def test_registered_people_are_confirmed_in_one_go(world, client):
    first = MemberFactory(name="孙一", org=world.branch_a)
    second = MemberFactory(name="孙二", org=world.branch_a)
    pending = [_pending_of(first, world.station_a), _pending_of(second, world.station_a)]
    client.force_login(world.users["grid_worker"])
    before = entries("checkin.confirm").count()
    response = client.post(
        reverse("control:pending_batch_confirm"), {"pick": [p.pk for p in pending]}
    )
    assert response.status_code == 302
    assert CheckIn.unscoped.filter(member__in=[first, second]).count() == 2
    assert set(PendingCheckIn.unscoped.filter(pk__in=[p.pk for p in pending]).values_list(
        "status", flat=True)) == {PendingStatus.CONFIRMED}  # fmt: skip
    (entry,) = entries("checkin.confirm")[before:]
    assert {p["id"] for p in entry.detail["pending"]} == {p.pk for p in pending}


def test_a_batch_with_an_unregistered_person_confirms_nobody(world, client):
    known = _pending_of(MemberFactory(name="孙三", org=world.branch_a), world.station_a)
    client.force_login(world.users["grid_worker"])
    response = client.post(
        reverse("control:pending_batch_confirm"),
        {"pick": [known.pk, world.pending_a.pk]},
        follow=True,
    )
    assert "陌生人甲" in response.content.decode()  # named as the one without a match
    known.refresh_from_db()
    assert known.status == PendingStatus.PENDING
    assert not CheckIn.unscoped.filter(member__name="孙三").exists()


def test_rejecting_in_a_batch_needs_a_reason_and_names_every_check_in(world, client):
    other = _pending_of(MemberFactory(name="孙四", org=world.branch_a), world.station_a, "孙四某")
    ticked = [world.pending_a.pk, other.pk]
    client.force_login(world.users["grid_worker"])
    url = reverse("control:pending_batch_reject")
    client.post(url, {"pick": ticked, "reason": " "})
    assert PendingCheckIn.unscoped.filter(pk__in=ticked, status=PendingStatus.PENDING).count() == 2
    client.post(url, {"pick": ticked, "reason": "身份证320404198506150018不符"})
    assert PendingCheckIn.unscoped.filter(pk__in=ticked, status=PendingStatus.PENDING).count() == 2
    client.post(url, {"pick": ticked, "reason": "重复报到"})
    assert PendingCheckIn.unscoped.filter(pk__in=ticked, status=PendingStatus.REJECTED).count() == 2
    (entry,) = entries("checkin.reject").filter(detail__reason="重复报到")
    assert entry.detail["count"] == 2


def test_a_batch_holding_another_towns_check_in_answers_404_and_changes_nothing(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.post(
        reverse("control:pending_batch_reject"),
        {"pick": [world.pending_a.pk, world.pending_b.pk], "reason": "越权"},
    )
    assert response.status_code == 404
    assert PendingCheckIn.unscoped.get(pk=world.pending_a.pk).status == PendingStatus.PENDING


# Sweep tasks ---------------------------------------------------------------------------------


def test_a_town_admin_hands_ticked_tasks_to_a_worker_in_one_go(world, client):
    worker = UserFactory(username="worker_a2", role="grid_worker", org=world.branch_a2)
    village_worker = UserFactory(username="village_w", role="grid_worker", org=world.village_a_org)
    tasks = list(CampaignTask.unscoped.filter(campaign=world.campaign_a))
    assert tasks
    client.force_login(world.users["town_admin"])
    url = reverse("control:campaign_task_batch_assign")
    picks = {"pick": [t.pk for t in tasks]}
    # A worker of another grid cannot take a task of grid A1: nothing moves.
    client.post(url, {**picks, "assignee": worker.pk})
    assert not CampaignTask.unscoped.filter(assignee=worker).exists()
    client.post(url, {**picks, "assignee": village_worker.pk})
    assert CampaignTask.unscoped.filter(assignee=village_worker).count() == len(tasks)
    entry = entries("campaign.assign").latest("id")
    assert entry.detail["count"] == len(tasks) and entry.detail["to"] == "village_w"


def test_a_decided_task_stops_the_whole_assignment(world, client):
    decide(Actor(user=world.users["grid_worker"]), world.task_a, Outcome.UNREACHABLE,
           {"note": "多次联系无果"})  # fmt: skip
    client.force_login(world.users["town_admin"])
    client.post(
        reverse("control:campaign_task_batch_assign"),
        {"pick": [world.task_a.pk], "assignee": world.users["grid_worker"].pk},
        follow=True,
    )
    assert not entries("campaign.assign").filter(detail__to="worker_a").exists()


def test_assigning_another_towns_task_answers_404(world, client):
    client.force_login(world.users["town_admin"])
    response = client.post(
        reverse("control:campaign_task_batch_assign"),
        {"pick": [world.task_a.pk, world.task_b.pk], "assignee": world.users["grid_worker"].pk},
    )
    assert response.status_code == 404


# Letters ----------------------------------------------------------------------------------------


def test_letters_are_issued_for_ticked_lost_members_and_named_in_one_entry(world, client):
    # The world's letter for 王强 (lost contact) is voided first, so a new one is due.
    cancel(Actor(user=world.users["grid_worker"]), world.letter_a, "重新发函")
    client.force_login(world.users["grid_worker"])
    before = entries("letter.issue").count()
    response = client.post(
        reverse("control:letter_issue"),
        {"pick": [world.outflow_record_a.pk], "next": "/floating/lost/"},
    )
    letter = ReminderLetter.unscoped.get(record=world.outflow_record_a, status="draft")
    assert response["Location"] == reverse("control:letter_detail", kwargs={"pk": letter.pk})
    (entry,) = entries("letter.issue")[before:]
    assert entry.detail["letters"] == [{"id": letter.pk, "number": letter.number,
                                        "member": "王强"}]  # fmt: skip


def test_reminders_are_recorded_for_ticked_letters_all_or_none(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.post(
        reverse("control:letter_batch_remind"), {"pick": [world.letter_a.pk]}, follow=True
    )
    assert "只有已寄出的函件才能催办" in response.content.decode()  # a draft cannot be reminded
    world.letter_a.refresh_from_db()
    assert world.letter_a.reminder_count == 0


# Posters ----------------------------------------------------------------------------------------


def test_the_posters_of_ticked_stations_come_as_one_pdf_a_page_each(world, client):
    client.force_login(world.users["town_admin"])
    ticked = [world.station_a.pk, world.station_a2.pk]
    response = client.post(reverse("control:station_batch_posters"), {"pick": ticked})
    assert response["Content-Type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(io.BytesIO(response.content))) == 2
    (entry,) = entries("station.posters")
    assert {s["id"] for s in entry.detail["stations"]} == set(ticked)
    ticked.append(world.station_b.pk)
    assert (
        client.post(reverse("control:station_batch_posters"), {"pick": ticked}).status_code == 404
    )
