"""A floating member checks in on a phone from the station's QR code."""

from __future__ import annotations

import pytest
from django.utils import timezone

from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.members.models import Member
from heli.mobility.models import CheckIn
from heli.stations.models import Station

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.browser
def test_a_known_member_checks_in_on_a_phone_and_a_second_scan_changes_nothing(zone, new_context):
    with activate(Scope.everything()):
        member = Member.objects.get(name="潘永贤")
        station = Station.objects.filter(grid=member.residence_grid).first()
        number = unseal(member, "id_cipher")
    phone = new_context(**PHONE).new_page()
    for _ in range(2):
        phone.goto(f"/s/{station.token}/")
        phone.get_by_label("姓名").fill("潘永贤")
        phone.get_by_label("公民身份号码或手机号码").fill(number.lower())
        phone.get_by_test_id("check-in").click()
        phone.get_by_test_id("check-in-done").wait_for()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    today = timezone.localdate()  # the demo has her earlier check-ins too
    assert CheckIn.unscoped.filter(member=member, station=station, day=today).count() == 1


@pytest.mark.browser
def test_on_a_phone_the_check_in_button_is_on_the_first_screen_above_the_station_details(
    zone, new_context
):
    with activate(Scope.everything()):
        station = Station.objects.exclude(address="").exclude(services="").order_by("pk").first()
    phone = new_context(**PHONE).new_page()
    phone.goto(f"/s/{station.token}/")
    assert phone.evaluate("window.scrollY") == 0
    button = phone.get_by_test_id("check-in").bounding_box()
    assert button["y"] >= 0 and button["y"] + button["height"] <= 844
    details = phone.get_by_test_id("station-details").bounding_box()
    assert details["y"] > button["y"]
