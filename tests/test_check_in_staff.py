"""Staff side of check-ins: confirming or rejecting unknown people, recording by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.sealed import unseal
from heli.members import idcard
from heli.members.models import Member
from heli.mobility import checkins
from heli.mobility.models import CheckIn, PendingCheckIn


@pytest.mark.django_db
def test_the_branch_registers_an_unknown_person_and_their_check_in_counts(world, client):
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:pending_confirm", kwargs={"pk": world.pending_a.pk})
    form = client.get(url).context["form"]
    number = unseal(world.pending_a, "identity_cipher")
    assert form.initial["id_number"] == number and form.initial["name"] == "陌生人甲"
    assert AuditEntry.unscoped.filter(action="checkin.reveal").exists()
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    response = client.post(url, {
        "name": "陌生人甲", "id_number": number, "birth_date": born, "ethnicity": "汉族",
        "education": "bachelor", "joined_on": "2012-07-01", "membership": "full",
        "full_on": "2013-07-01", "org": world.external.pk, "residence_grid": world.grid_a.pk,
        "occupation": "rider",
        "status": "floating", "floating_direction": "in", "floating_place": "贵州省三都县",
    })  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    member = Member.unscoped.get(name="陌生人甲")
    check_in = CheckIn.unscoped.get(member=member)
    assert check_in.station == world.station_a and check_in.day == world.pending_a.day
    world.pending_a.refresh_from_db()
    assert world.pending_a.status == "confirmed"
    assert world.pending_a.decided_by == world.users["branch_secretary"]


@pytest.mark.django_db
def test_a_failed_registration_leaves_the_check_in_pending(world, client):
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:pending_confirm", kwargs={"pk": world.pending_a.pk})
    assert client.post(url, {"name": "陌生人甲"}).status_code == 200
    world.pending_a.refresh_from_db()
    assert world.pending_a.status == "pending"
    assert not CheckIn.unscoped.exists()


@pytest.mark.django_db
def test_rejecting_needs_a_reason_and_is_final(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:pending_reject", kwargs={"pk": world.pending_a.pk})
    client.post(url, {"reason": ""})
    assert PendingCheckIn.unscoped.get(pk=world.pending_a.pk).status == "pending"
    client.post(url, {"reason": "非本网格人员，已电话核实"})
    assert PendingCheckIn.unscoped.get(pk=world.pending_a.pk).status == "rejected"
    entry = AuditEntry.unscoped.get(action="checkin.reject")
    assert entry.detail["reason"] == "非本网格人员，已电话核实"
    confirm = reverse("control:pending_confirm", kwargs={"pk": world.pending_a.pk})
    assert client.get(confirm).status_code == 404  # decided: no longer pending


@pytest.mark.django_db
def test_staff_record_a_check_in_by_hand_once_a_day(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:station_check_in", kwargs={"pk": world.station_a.pk})
    for _ in range(2):
        assert client.post(url, {"member": world.member_a.pk}).status_code == 302
    check_in = CheckIn.unscoped.get()
    assert check_in.source == "staff" and check_in.recorded_by == world.users["grid_worker"]


@pytest.mark.django_db
def test_staff_cannot_check_in_a_member_they_cannot_see(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:station_check_in", kwargs={"pk": world.station_a.pk})
    response = client.post(url, {"member": world.member_b.pk})
    assert response.status_code == 200 and "member" in response.context["form"].errors
    assert not CheckIn.unscoped.exists()


@pytest.mark.django_db
def test_the_check_in_page_lists_pending_people_masked_and_recent_check_ins(world, client):
    client.force_login(world.users["town_admin"])
    html = client.get(reverse("control:check_in_list")).content.decode()
    assert "陌生人甲" in html and "陌生人乙" not in html
    assert world.pending_a.identity_mask in html
    assert unseal(world.pending_a, "identity_cipher") not in html


@pytest.mark.django_db
def test_the_member_lookup_finds_members_in_scope_only(world, client):
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:lookup", kwargs={"kind": "members"})
    labels = [r["label"] for r in client.get(url, {"q": "张"}).json()["results"]]
    assert labels == [f"张伟 · {world.member_a.id_mask} · {world.branch_a.name}"]
    assert client.get(url, {"q": "李娜"}).json()["results"] == []


DECISIONS = {
    "confirm": lambda world, pending, actor: checkins.confirm_pending(
        actor, pending, world.member_a
    ),
    "reject": lambda world, pending, actor: checkins.reject_pending(actor, pending, "不是本人"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("first", sorted(DECISIONS))
@pytest.mark.parametrize("second", sorted(DECISIONS))
def test_a_pending_check_in_is_decided_once(world, first, second):
    from django.core.exceptions import ValidationError

    actor = Actor(user=world.users["branch_secretary"])
    DECISIONS[first](world, world.pending_a, actor)
    world.pending_a.refresh_from_db()
    decided = world.pending_a.status
    assert decided == {"confirm": "confirmed", "reject": "rejected"}[first]
    with pytest.raises(ValidationError):
        DECISIONS[second](world, world.pending_a, actor)
    world.pending_a.refresh_from_db()
    assert world.pending_a.status == decided


def _registration(name: str, number: str, world) -> dict:
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    return {
        "name": name, "id_number": number, "birth_date": born, "ethnicity": "汉族",
        "education": "bachelor", "joined_on": "2012-07-01", "membership": "full",
        "full_on": "2013-07-01", "org": world.external.pk, "residence_grid": world.grid_a.pk,
        "occupation": "rider",
        "status": "floating", "floating_direction": "in", "floating_place": "贵州省三都县",
    }  # fmt: skip


@pytest.mark.django_db
def test_a_grid_worker_without_the_right_sees_the_pending_number_masked(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:pending_confirm", kwargs={"pk": world.pending_a.pk})
    page = client.get(url)
    number = unseal(world.pending_a, "identity_cipher")
    assert page.status_code == 200 and number not in page.content.decode()
    assert world.pending_a.identity_mask in page.content.decode()
    assert not page.context["form"].initial.get("id_number")
    assert not AuditEntry.unscoped.filter(action="checkin.reveal").exists()


@pytest.mark.django_db
def test_a_grid_worker_registers_the_person_by_typing_the_number_they_gave(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:pending_confirm", kwargs={"pk": world.pending_a.pk})
    number = unseal(world.pending_a, "identity_cipher")
    other = idcard.make(number[:6], dt.date(1990, 1, 2), 7)
    refused = client.post(url, _registration("陌生人甲", other, world))
    assert refused.status_code == 200 and world.pending_a.identity_mask in str(
        refused.context["form"].non_field_errors()
    )
    assert PendingCheckIn.unscoped.get(pk=world.pending_a.pk).status == "pending"
    assert client.post(url, _registration("陌生人甲", number, world)).status_code == 302
    assert PendingCheckIn.unscoped.get(pk=world.pending_a.pk).status == "confirmed"


@pytest.mark.django_db
def test_revealing_a_pending_number_needs_the_right_in_the_service(world):
    with pytest.raises(PermissionDenied):
        checkins.reveal_pending(Actor(world.users["grid_worker"]), world.pending_a)
    number = checkins.reveal_pending(Actor(world.users["branch_secretary"]), world.pending_a)
    assert number == unseal(world.pending_a, "identity_cipher")
