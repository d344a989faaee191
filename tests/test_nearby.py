"""就近归队入列: ranked branches, assigning one, temporary branches; and 三方共管 scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from heli.accounts.roles import Role
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.members.models import Member
from heli.mobility import floating, nearby
from heli.mobility.models import Document, FloatingRecord
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg
from tests.factories import MemberFactory, PartyOrgFactory, UserFactory

pytestmark = pytest.mark.django_db


def _inflow(world, name, place="贵州省三都水族自治县", grid=None, **member):
    person = MemberFactory(
        name=name, org=world.external, residence_grid=grid or world.grid_a, status="floating",
        floating_direction="in", floating_place=place, **member,
    )  # fmt: skip
    return FloatingRecord.unscoped.create(
        member=person, direction="in", outflow_org=world.external, place=place,
        grid=grid or world.grid_a, since=timezone.localdate() - dt.timedelta(days=5),
        flow_range="other_province", reason="work", document=Document.ACTIVITY_CARD,
    )  # fmt: skip


def test_the_branch_of_the_members_grid_comes_first(world):
    suggestions = nearby.suggest(world.inflow_record_a)
    assert suggestions[0].org == world.branch_a
    assert suggestions[0].model == "joint"


def test_the_employers_branch_outranks_the_grid(world):
    record = _inflow(world, "蒙山", employer="横林家居")
    suggestions = nearby.suggest(record)
    assert [s.org for s in suggestions[:2]] == [world.enterprise_a, world.branch_a]
    assert suggestions[0].model == "single"


def test_a_branch_built_with_the_home_place_is_suggested(world):
    sandu = PartyOrgFactory(
        name="三都籍流动党员党支部", category=OrgCategory.FLOATING, region=world.town_a,
        parent=world.town_a_org,
    )  # fmt: skip
    record = _inflow(world, "潘小妹")
    found = {s.org: s for s in nearby.suggest(record)}
    assert found[sandu].model == "shared"
    assert not any(s.org.is_external for s in found.values())


def test_branches_under_the_industry_chain_are_suggested(world):
    chain_branch = PartyOrgFactory(
        name="产业链流动党员党支部", category=OrgCategory.FLOATING, region=world.town_a,
        parent=world.chain_org,
    )  # fmt: skip
    found = {s.org for s in nearby.suggest(world.inflow_record_a)}
    assert chain_branch in found


def test_the_worker_assigns_a_suggested_branch(world, client_for):
    client = client_for(world.users["grid_worker"])
    url = reverse("control:floating_nearby", args=[world.inflow_record_a.pk])
    assert "崔桥村第1网格党支部" in client.get(url).content.decode()
    client.post(url, {"org": world.branch_a.pk, "joined_on": timezone.localdate().isoformat()})
    world.inflow_record_a.refresh_from_db()
    assert world.inflow_record_a.joined_org == world.branch_a
    assert world.inflow_record_a.events.filter(kind="joined").exists()


def test_a_branch_that_was_not_suggested_is_refused(world, client_for):
    client = client_for(world.users["district_admin"])
    url = reverse("control:floating_nearby", args=[world.inflow_record_a.pk])
    response = client.post(url, {"org": world.branch_b.pk, "joined_on": "2026-11-01"})
    assert response.context["form"].non_field_errors()
    world.inflow_record_a.refresh_from_db()
    assert world.inflow_record_a.joined_org is None


def test_three_members_from_one_place_form_a_temporary_branch(world):
    records = [world.inflow_record_a] + [_inflow(world, n) for n in ("蒙甲", "蒙乙")]
    with activate(world.users["town_admin"].scope()):
        groups = nearby.same_place_groups(FloatingRecord.objects.all())
    assert groups == [{"place": "贵州省三都水族自治县", "count": 3}]
    branch = nearby.form_temporary_branch(
        Actor(user=world.users["town_admin"]), records, world.town_a_org, "三都临时党支部",
        timezone.localdate(),
    )  # fmt: skip
    assert (
        branch.temporary and branch.level == OrgLevel.BRANCH and branch.parent == world.town_a_org
    )
    assert {r.pk for r in FloatingRecord.unscoped.filter(joined_org=branch)} == {
        r.pk for r in records
    }


def test_two_members_are_not_enough_for_a_temporary_branch(world):
    records = [world.inflow_record_a, _inflow(world, "蒙甲")]
    with pytest.raises(ValidationError):
        nearby.form_temporary_branch(
            Actor(user=None), records, world.town_a_org, "临时党支部", timezone.localdate()
        )
    assert not PartyOrg.unscoped.filter(temporary=True).exists()


def test_members_from_different_places_do_not_form_one_branch(world):
    records = [world.inflow_record_a, _inflow(world, "蒙甲"), _inflow(world, "李四", "四川省")]
    with pytest.raises(ValidationError):
        nearby.form_temporary_branch(
            Actor(user=None), records, world.town_a_org, "临时党支部", timezone.localdate()
        )


# 三方共管: each party sees the record, none sees the others' members.


def _crossing(world) -> FloatingRecord:
    """A town-B member who came to live in grid A and works in the industry chain."""
    person = MemberFactory(
        name="吴昊", org=world.branch_b, residence_grid=world.grid_b, status="floating",
        floating_direction="out", floating_place="横林镇",
    )  # fmt: skip
    return FloatingRecord.unscoped.create(
        member=person, direction="out", outflow_org=world.branch_b, grid=world.grid_a,
        industry_chain=world.chain_org, place="横林镇", since=dt.date(2026, 9, 1),
        flow_range="city", reason="work", document=Document.CERTIFICATE_LETTER,
    )  # fmt: skip


@pytest.mark.parametrize("party", ["outflow", "inflow", "chain"])
def test_each_of_the_three_parties_sees_the_record_and_not_the_others_members(world, party):
    record = _crossing(world)
    user = {
        "outflow": world.users["outsider"],
        "inflow": world.users["grid_worker"],
        "chain": UserFactory(username="chain", role=Role.BRANCH_SECRETARY, org=world.chain_org),
    }[party]
    with activate(user.scope()):
        assert FloatingRecord.objects.filter(pk=record.pk).exists()
        visible_members = set(Member.objects.values_list("name", flat=True))
    others = {
        "outflow": {"张伟", "王强"},  # grid A's members
        "inflow": {"李娜", "周杰"},  # town B's members
        "chain": {"张伟", "李娜", "王强", "周杰"},
    }[party]
    assert not visible_members & others


def test_the_chain_committee_sees_only_records_of_its_chain(world):
    user = UserFactory(username="chain", role=Role.BRANCH_SECRETARY, org=world.chain_org)
    with activate(user.scope()):
        assert set(FloatingRecord.objects.values_list("pk", flat=True)) == {
            world.inflow_record_a.pk
        }


def test_the_other_side_reads_the_record_but_not_the_member_page(world, client_for):
    record = _crossing(world)
    client = client_for(world.users["grid_worker"])
    page = client.get(reverse("control:floating_detail", args=[record.pk]))
    assert page.status_code == 200 and "吴昊" in page.content.decode()
    assert not page.context["member_visible"]
    assert client.get(reverse("control:member_detail", args=[record.member.pk])).status_code == 404


def test_the_home_branch_and_the_chain_see_a_check_in_at_once(world):
    from heli.mobility.checkins import record_check_in
    from heli.mobility.models import CheckIn

    record = _crossing(world)
    record.member.industry_chain = world.chain_org
    record.member.save()
    check_in, _created = record_check_in(Actor(user=None), record.member, world.station_a)
    chain = UserFactory(username="chain", role=Role.BRANCH_SECRETARY, org=world.chain_org)
    for user in (world.users["outsider"], chain, world.users["grid_worker"]):
        with activate(user.scope()):
            assert CheckIn.objects.filter(pk=check_in.pk).exists(), user
            assert [e.kind for e in floating.timeline(record)] == ["checked_in"]
