"""Floating records: the document rule, registration and return, contact, three-party scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.mobility import floating
from heli.mobility.checkins import record_check_in
from heli.mobility.models import CheckIn, CheckInSource, Document, FloatingRecord
from heli.reports.ledgers import counts_for
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("months", "certain", "document"),
    [
        (7, True, Document.TRANSFER),
        (6, True, Document.CERTIFICATE_LETTER),  # six months or less: a certificate letter
        (1, True, Document.CERTIFICATE_LETTER),
        (24, False, Document.ACTIVITY_CARD),
        (None, True, Document.ACTIVITY_CARD),
    ],
)
def test_the_document_follows_the_rules(months, certain, document):
    assert floating.document_for(months, certain) == document


def _outflow(world, member=None, **extra):
    data = {
        "direction": "out", "place": "上海市浦东新区", "since": dt.date(2026, 3, 1),
        "flow_range": "other_province", "reason": "work", "expected_months": 12,
    }  # fmt: skip
    return floating.register(
        Actor(user=world.users["branch_secretary"]), member or world.member_a, {**data, **extra}
    )


@pytest.mark.django_db
def test_registering_an_outflow_opens_a_record_and_marks_the_member(world):
    record = _outflow(world)
    world.member_a.refresh_from_db()
    assert record.document == Document.TRANSFER and record.outflow_org == world.branch_a
    assert (world.member_a.status, world.member_a.floating_direction) == ("floating", "out")
    assert world.member_a.floating_place == "上海市浦东新区"
    assert list(record.events.values_list("kind", flat=True)) == ["registered"]
    with activate(world.users["district_admin"].scope()):
        assert counts_for(world.grid_a).floating == 3  # outflow_a, inflow_a and now member_a


@pytest.mark.django_db
def test_a_member_has_one_active_floating_record(world):
    _outflow(world)
    with pytest.raises(ValidationError):
        _outflow(world)


@pytest.mark.django_db
def test_a_return_registration_ends_the_record(world):
    record = _outflow(world)
    with pytest.raises(ValidationError):
        floating.register_return(Actor(user=None), record, dt.date(2026, 2, 1))
    floating.register_return(Actor(user=None), record, dt.date(2026, 9, 1))
    record.refresh_from_db()
    world.member_a.refresh_from_db()
    assert record.status == "returned" and record.ended_on == dt.date(2026, 9, 1)
    assert world.member_a.status == "normal" and world.member_a.floating_direction == ""
    with pytest.raises(ValidationError):
        floating.register_return(Actor(user=None), record, dt.date(2026, 9, 2))


@pytest.mark.django_db
def test_a_verified_check_in_restarts_the_lost_contact_clock(world):
    record = _outflow(world)
    assert record.last_contact_at is None
    record_check_in(Actor(user=None), world.member_a, world.station_a, source=CheckInSource.STAFF)
    record.refresh_from_db()
    check_in = CheckIn.unscoped.get(member=world.member_a)
    assert record.last_contact_at == check_in.at
    assert floating.timeline(record)[0] == check_in  # the check-in is the newest entry


@pytest.mark.django_db
def test_the_outflow_side_the_inflow_side_and_the_chain_each_see_the_record(world):
    from tests.factories import PartyOrgFactory

    chain = PartyOrgFactory(
        name="家居产业链党委", category="industry_chain", level="committee",
        region=world.town_b, parent=world.town_b_org,
    )  # fmt: skip
    record = _outflow(world, grid=world.grid_b, industry_chain=chain)
    chain_user = UserFactory(role="branch_secretary", org=chain)
    for user, sees in [
        (world.users["branch_secretary"], True),  # outflow side: the member's branch
        (world.users["outsider"], True),  # inflow side: town B governs grid B
        (chain_user, True),  # the industry chain committee
        (world.users["service_staff"], True),  # town A, above the outflow branch
        (UserFactory(role="branch_secretary", org=world.branch_a2), False),
    ]:
        with activate(user.scope()):
            assert FloatingRecord.objects.filter(pk=record.pk).exists() is sees, user


def _ended(world):
    record = world.outflow_record_a
    floating.register_return(Actor(user=None), record, record.since)
    return record


REFUSED_ONCE_ENDED = {
    "return again": lambda w, r, a: floating.register_return(a, r, r.since),
    "log a contact": lambda w, r, a: floating.log_contact(a, r, "call", ""),
    "name owners": lambda w, r, a: floating.assign_duties(a, r, {"contact_owner": None}),
    "confirm inflow": lambda w, r, a: floating.confirm_inflow(a, r, w.branch_a),
    "join a branch": lambda w, r, a: floating.join_branch(a, r, w.branch_a, timezone.localdate()),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(REFUSED_ONCE_ENDED))
def test_an_ended_record_refuses_every_change(world, action):
    record = _ended(world)
    events = record.events.count()
    with pytest.raises(ValidationError):
        REFUSED_ONCE_ENDED[action](world, record, Actor(user=None))
    assert record.events.count() == events


@pytest.mark.django_db
def test_an_active_record_allows_each_change_in_turn(world):
    actor, record = Actor(user=world.users["grid_worker"]), world.inflow_record_a
    floating.log_contact(actor, record, "visit", "上门走访")
    floating.assign_duties(actor, record, {"contact_owner": world.users["grid_worker"]})
    floating.confirm_inflow(actor, record, world.branch_a)
    floating.join_branch(actor, record, world.branch_a, record.since)
    floating.register_return(actor, record, record.since)
    kinds = list(record.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["visit", "duties", "inflow_confirmed", "joined", "returned"]


@pytest.mark.django_db
def test_joining_before_arriving_or_outside_the_zone_is_refused(world):
    actor, record = Actor(user=None), world.inflow_record_a
    with pytest.raises(ValidationError):
        floating.join_branch(actor, record, world.branch_a, record.since - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        floating.join_branch(actor, record, world.external, record.since)
