"""The lost-contact clock: states at their thresholds, and the queries that agree with them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from heli.core.scoping import Scope, activate
from heli.mobility import clock
from heli.mobility.clock import ContactState
from heli.mobility.models import FloatingRecord

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.FLOATING_WARNING_DAYS = 60
    settings.FLOATING_LOST_DAYS = 90
    settings.FLOATING_LAPSE_FLAG_DAYS = 150


def _contacted(record: FloatingRecord, days_ago: int, hour: int = 23) -> FloatingRecord:
    """Last contact `days_ago` local days before TODAY, late in that day (the boundary)."""
    day = TODAY - dt.timedelta(days=days_ago)
    record.last_contact_at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 59)))
    record.save(update_fields=["last_contact_at"])
    return record


BOUNDARIES = [
    (0, ContactState.OK),
    (59, ContactState.OK),
    (60, ContactState.WARNING),
    (89, ContactState.WARNING),
    (90, ContactState.LOST),
    (149, ContactState.LOST),
    (150, ContactState.LAPSE),
    (400, ContactState.LAPSE),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "state"), BOUNDARIES)
def test_the_state_changes_exactly_at_each_threshold(world, days, state):
    record = _contacted(world.outflow_record_a, days)
    assert clock.days_without_contact(record, TODAY) == days
    assert clock.state_of(record, TODAY) == state


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "state"), BOUNDARIES)
@pytest.mark.parametrize("hour", [0, 23])  # first and last minute of that day
def test_the_state_queries_agree_with_the_clock_at_each_threshold(world, days, state, hour):
    record = _contacted(world.outflow_record_a, days, hour=hour)
    with activate(Scope.everything()):
        matching = {
            s for s in ContactState if FloatingRecord.objects.filter(
                clock.state_q(s, TODAY), pk=record.pk
            ).exists()
        }  # fmt: skip
        lost = FloatingRecord.objects.filter(clock.lost_q(TODAY), pk=record.pk).exists()
    assert matching == {state}
    assert lost == (state in (ContactState.LOST, ContactState.LAPSE))


@pytest.mark.django_db
def test_without_any_contact_the_clock_counts_from_the_day_of_leaving(world):
    record = world.outflow_record_a
    record.since, record.last_contact_at = TODAY - dt.timedelta(days=90), None
    record.save()
    assert clock.state_of(record, TODAY) == ContactState.LOST
    assert clock.state_of(record, TODAY - dt.timedelta(days=1)) == ContactState.WARNING
    with activate(Scope.everything()):
        assert FloatingRecord.objects.filter(clock.lost_q(TODAY), pk=record.pk).exists()


@pytest.mark.django_db
def test_the_thresholds_come_from_settings(world, settings):
    record = _contacted(world.outflow_record_a, 30)
    assert clock.state_of(record, TODAY) == ContactState.OK
    settings.FLOATING_WARNING_DAYS = 30
    assert clock.state_of(record, TODAY) == ContactState.WARNING


@pytest.mark.django_db
def test_a_returned_member_is_never_lost(world):
    record = _contacted(world.outflow_record_a, 300)
    record.status = "returned"
    record.save()
    assert clock.state_of(record, TODAY) == ContactState.OK
    with activate(Scope.everything()):
        assert not FloatingRecord.objects.filter(clock.lost_q(TODAY), pk=record.pk).exists()
