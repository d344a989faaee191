"""Two open sweeps never cover the same members: a sweep is refused while an open one covers
its area, lies above it or below it, and the rule holds when two administrators open sweeps at
the same moment (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation

from heli.audit.services import Actor
from heli.campaigns import services
from heli.campaigns.models import Campaign, CampaignStatus, CampaignTask

DUE = timezone.localdate() + dt.timedelta(days=30)


def _open(w, role: str, area: str, name: str = "") -> Campaign:
    region = getattr(w, area)
    return services.open_campaign(
        Actor(user=w.users[role]), name=name or f"{region.name}第二轮", region=region, due_on=DUE
    )


def _close_world_sweeps(w) -> None:
    for campaign in (w.campaign_a, w.campaign_b):
        services.close(Actor(user=w.users["district_admin"]), campaign, unfinished_confirmed=True)


def _refusal(w, role: str, area: str) -> str:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        _open(w, role, area)
    return " ".join(refused.value.messages)


def _no_record_twice_in_open_sweeps() -> None:
    twice = (
        CampaignTask.unscoped.filter(campaign__status=CampaignStatus.OPEN)
        .values("record")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert list(twice) == []


@pytest.mark.django_db
def test_a_district_sweep_is_refused_while_a_town_sweep_below_it_is_open(world):
    # The world holds open sweeps of town A (横林镇归队行动) and town B.
    message = _refusal(world, "district_admin", "district")
    assert "“横林镇归队行动”仍在进行" in message or "“遥观镇归队行动”仍在进行" in message
    assert "请先关闭它或在其中工作" in message
    assert not Campaign.unscoped.filter(region=world.district).exists()


@pytest.mark.django_db
def test_a_town_sweep_is_refused_inside_an_open_district_sweep_naming_it(world):
    _close_world_sweeps(world)
    _open(world, "district_admin", "district", name="常州经开区2026年11月归队行动")
    message = _refusal(world, "town_admin", "town_a")
    assert message == (
        "“常州经开区2026年11月归队行动”仍在进行，覆盖了本区域，请先关闭它或在其中工作。"
    )
    _no_record_twice_in_open_sweeps()


@pytest.mark.django_db
def test_the_same_area_is_refused_and_a_closed_sweep_no_longer_counts(world):
    assert "“横林镇归队行动”仍在进行，覆盖了本区域" in _refusal(world, "town_admin", "town_a")
    _close_world_sweeps(world)
    campaign = _open(world, "town_admin", "town_a")
    assert campaign.status == CampaignStatus.OPEN


@pytest.mark.django_db
def test_a_member_who_moved_to_a_swept_town_gets_no_second_open_task(world):
    # 王强's task is open in town A's sweep; his family has since moved to town B.
    services.close(Actor(user=world.users["outsider"]), world.campaign_b, unfinished_confirmed=True)
    member = world.outflow_a
    member.residence_grid = world.grid_b
    member.save(update_fields=["residence_grid"])
    campaign = _open(world, "outsider", "town_b")
    records = set(CampaignTask.unscoped.filter(campaign=campaign).values_list("record", flat=True))
    assert world.outflow_record_a.pk not in records
    _no_record_twice_in_open_sweeps()


@pytest.mark.django_db
def test_the_page_refuses_the_overlap_before_the_preview(world, client):
    client.force_login(world.users["district_admin"])
    data = {"name": "全区第二轮", "region": world.district.pk, "due_on": "2099-01-31"}
    preview = client.post(reverse("control:campaign_create"), data)
    assert preview.context["sweep"] is None
    assert "仍在进行" in str(preview.context["form"].errors)


def _race(world, monkeypatch, first: tuple[str, str], second: tuple[str, str]) -> list:
    """Open two sweeps at once: the first pauses after its checks (while it plans its tasks)
    so that the second runs its own checks before the first has committed."""
    checked = threading.Event()
    plan = services.plan

    def slow_plan(region, today=None):
        if not checked.is_set():
            checked.set()
            threading.Event().wait(0.8)
        return plan(region, today)

    monkeypatch.setattr(services, "plan", slow_plan)
    results: list = [None, None]

    def run(index: int, role: str, area: str) -> None:
        try:
            if index == 1:
                checked.wait(5)
            results[index] = _open(world, role, area)
        except ValidationError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, *who)) for i, who in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_town_sweep_opened_while_a_district_sweep_is_opening_is_refused(world, monkeypatch):
    _close_world_sweeps(world)
    district, town = _race(
        world, monkeypatch, ("district_admin", "district"), ("town_admin", "town_a")
    )
    assert isinstance(district, Campaign)
    assert isinstance(town, ValidationError)
    assert Campaign.unscoped.filter(status=CampaignStatus.OPEN).count() == 1
    _no_record_twice_in_open_sweeps()


@pytest.mark.django_db(transaction=True)
def test_a_district_sweep_opened_while_a_town_sweep_is_opening_is_refused(world, monkeypatch):
    _close_world_sweeps(world)
    town, district = _race(
        world, monkeypatch, ("town_admin", "town_a"), ("district_admin", "district")
    )
    assert isinstance(town, Campaign) and isinstance(district, ValidationError)
    _no_record_twice_in_open_sweeps()


@pytest.mark.django_db(transaction=True)
def test_two_towns_open_their_sweeps_at_the_same_time(world, monkeypatch):
    _close_world_sweeps(world)
    town_a, town_b = _race(world, monkeypatch, ("town_admin", "town_a"), ("outsider", "town_b"))
    assert isinstance(town_a, Campaign) and isinstance(town_b, Campaign)
    _no_record_twice_in_open_sweeps()
