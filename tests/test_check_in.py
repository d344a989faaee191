"""Checking in at a station by QR code (报到): idempotent, rate limited, never disclosing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core import crypto, ratelimit
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.mobility.checkins import Identity, record_check_in
from heli.mobility.models import CheckIn, PendingCheckIn
from tests.factories import make_id_number


def _url(station) -> str:
    return reverse("public:station", kwargs={"token": station.token})


def _post(client, station, name, number):
    return client.post(_url(station), {"name": name, "id_or_phone": number})


@pytest.mark.django_db
def test_a_known_member_checks_in_with_name_and_id_number(world, client):
    number = unseal(world.inflow_a, "id_cipher")
    response = _post(client, world.station_a, "潘永贤", number)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "public:station_done", kwargs={"token": world.station_a.token}
    )
    check_in = CheckIn.unscoped.get()
    assert (check_in.member, check_in.station, check_in.source) == (
        world.inflow_a,
        world.station_a,
        "qr",
    )
    assert AuditEntry.unscoped.filter(action="checkin.create", ip_address="127.0.0.1").exists()


@pytest.mark.django_db
def test_a_known_member_checks_in_with_name_and_phone(world, client):
    _post(client, world.station_a, "张伟", "138 1234 5678")
    assert CheckIn.unscoped.get().member == world.member_a


@pytest.mark.django_db
def test_a_second_scan_the_same_day_is_the_same_check_in(world, client):
    number = unseal(world.member_a, "id_cipher")
    for _ in range(3):
        _post(client, world.station_a, "张伟", number)
    assert CheckIn.unscoped.count() == 1
    _post(client, world.station_a2, "张伟", number)
    assert CheckIn.unscoped.count() == 2  # another station is another check-in


@pytest.mark.django_db
def test_an_unknown_person_becomes_one_pending_check_in(world, client):
    number = make_id_number()
    for _ in range(2):
        _post(client, world.station_a, "陌生人", number)
    pending = PendingCheckIn.unscoped.get(name="陌生人")
    assert pending.status == "pending"
    assert number.encode() not in bytes(pending.identity_cipher)
    assert unseal(pending, "identity_cipher") == number
    assert pending.identity_mask == crypto.mask_id(number)
    assert not CheckIn.unscoped.exists()


@pytest.mark.django_db
def test_a_known_number_with_another_name_is_not_checked_in(world, client):
    _post(client, world.station_a, "冒名者", unseal(world.member_a, "id_cipher"))
    assert not CheckIn.unscoped.exists()
    assert PendingCheckIn.unscoped.filter(name="冒名者").count() == 1


@pytest.mark.django_db
def test_the_answer_never_tells_whether_an_id_number_is_known(world, client):
    known = _post(client, world.station_a, "张伟", unseal(world.member_a, "id_cipher"))
    unknown = _post(client, world.station_a, "张伟", make_id_number())
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    done = client.get(known["Location"])
    assert done.status_code == 200 and "张伟" not in done.content.decode()


@pytest.mark.django_db
def test_an_invalid_number_is_refused_on_the_form(world, client):
    response = _post(client, world.station_a, "张伟", "110105194912310021")
    assert response.status_code == 200
    assert "id_or_phone" in response.context["form"].errors
    assert not CheckIn.unscoped.exists()
    assert not PendingCheckIn.unscoped.filter(name="张伟").exists()


@pytest.mark.django_db
def test_check_ins_are_limited_per_address(world, client, settings):
    settings.CHECKIN_LIMIT_PER_ADDRESS = 3
    number = make_id_number()
    statuses = [_post(client, world.station_a, "某人", number).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _post(other, world.station_a, "某人", number).status_code == 302


@pytest.mark.django_db
def test_check_ins_are_limited_per_station(world, settings):
    settings.CHECKIN_LIMIT_PER_STATION = 2
    codes = [
        _post(
            Client(REMOTE_ADDR=f"10.0.0.{i}"), world.station_a, "某人", make_id_number()
        ).status_code
        for i in range(4)
    ]
    assert codes == [302, 302, 429, 429]
    assert _post(Client(), world.station_b, "某人", make_id_number()).status_code == 302


@pytest.mark.django_db
def test_refused_requests_from_one_address_do_not_close_the_station(world, settings):
    settings.CHECKIN_LIMIT_PER_STATION = 2
    settings.CHECKIN_LIMIT_PER_ADDRESS = 3
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    codes = [_post(attacker, world.station_a, "某人", "123").status_code for _ in range(8)]
    assert codes == [200, 200, 200] + [429] * 5
    visitor = Client(REMOTE_ADDR="10.0.0.7")
    assert _post(visitor, world.station_a, "某人", make_id_number()).status_code == 302


@pytest.mark.django_db
def test_valid_requests_refused_by_the_address_limit_do_not_count_for_the_station(world, settings):
    settings.CHECKIN_LIMIT_PER_STATION = 3
    settings.CHECKIN_LIMIT_PER_ADDRESS = 2
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    codes = [
        _post(attacker, world.station_a, "某人", make_id_number()).status_code for _ in range(6)
    ]
    assert codes == [302, 302] + [429] * 4
    visitor = Client(REMOTE_ADDR="10.0.0.7")
    assert _post(visitor, world.station_a, "某人", make_id_number()).status_code == 302
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert _post(other, world.station_a, "某人", make_id_number()).status_code == 429


@pytest.mark.django_db
def test_refused_requests_still_count_toward_the_address_limit(world, client, settings):
    settings.CHECKIN_LIMIT_PER_ADDRESS = 3
    for _ in range(3):
        assert _post(client, world.station_a, "某人", "123").status_code == 200
    assert _post(client, world.station_a, "某人", make_id_number()).status_code == 429
    assert not PendingCheckIn.unscoped.filter(name="某人").exists()


@pytest.mark.django_db
def test_the_check_in_form_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = _post(client, world.station_a, "张伟", "13812345678")
    assert response.status_code == 403
    page = client.get(_url(world.station_a))
    token = page.cookies["csrftoken"].value
    ok = client.post(
        _url(world.station_a),
        {"name": "张伟", "id_or_phone": "13812345678", "csrfmiddlewaretoken": token},
    )
    assert ok.status_code == 302


@pytest.mark.django_db
def test_the_rate_limit_counts_exactly_in_fixed_windows(db):
    assert [ratelimit.hit("k", 2, 60, now=120.0) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("k", 2, 60, now=180.0)  # the next window starts afresh
    assert ratelimit.forget_older_than(60, now=300.0) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_leave_one_row(world):
    barrier = threading.Barrier(6)
    results = []

    def scan():
        try:
            barrier.wait()
            results.append(record_check_in(Actor(user=None), world.member_a, world.station_a)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CheckIn.unscoped.count() == 1
    assert sorted(results) == [False] * 5 + [True]


@pytest.mark.django_db
def test_check_ins_are_scoped_to_the_station_and_the_member(world):
    record_check_in(Actor(user=None), world.member_b, world.station_b)
    with activate(world.users["town_admin"].scope()):
        assert not CheckIn.objects.exists()
    with activate(world.users["outsider"].scope()):
        assert CheckIn.objects.count() == 1


def test_identity_parsing_tells_phones_from_id_numbers():
    assert Identity.parse(" 张伟 ", "+86 138 1234 5678").phone == "13812345678"
    assert Identity.parse("张伟", "11010519491231002x").id_number == "11010519491231002X"
