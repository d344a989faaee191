"""Relationship transfers (组织关系转接): the state machine, approval levels, the letter's
number and validity, expiry, the member's move on acceptance, and who sees and does what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from heli.accounts.roles import Role
from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.members.models import MemberChange
from heli.mobility.models import FloatingRecord
from heli.orgs.models import OrgLevel, RegionKind
from heli.transfers import rules, services
from heli.transfers.models import Transfer, TransferStatus
from tests.factories import MemberFactory, PartyOrgFactory, RegionFactory, UserFactory

S = TransferStatus
pytestmark = pytest.mark.django_db


def as_(world, role: str) -> Actor:
    return Actor(user=world.users[role])


def new_member(world, org=None, **extra):
    org = org or world.branch_a
    return MemberFactory(org=org, residence_grid=org.region, **extra)


def applied(world, member=None, to=None, flow_range="other_province") -> Transfer:
    """An application of a new member of branch A (to the organization outside by default)."""
    data = {"to_org": to or world.external, "flow_range": flow_range, "reason": "工作调动"}
    return services.apply(as_(world, "branch_secretary"), member or new_member(world), data)


def in_transit(world, **kwargs) -> Transfer:
    transfer = applied(world, **kwargs)
    services.approve(as_(world, "branch_secretary"), transfer)
    return services.issue_letter(as_(world, "branch_secretary"), transfer)


def put_in(world, status: str) -> Transfer:
    """A transfer to the organization outside the zone, moved straight into `status`."""
    transfer = applied(world)
    today = timezone.localdate()
    fields = {"status": status}
    if status != S.APPLIED:
        fields["approvals_done"] = 1
    if status in (S.IN_TRANSIT, S.ACCEPTED, S.RETURNED, S.EXPIRED):
        fields.update(issued_on=today, valid_until=today + dt.timedelta(days=90))
    Transfer.unscoped.filter(pk=transfer.pk).update(**fields)
    transfer.refresh_from_db()
    return transfer


def run(action: str, actor: Actor, transfer: Transfer) -> Transfer:
    if action == "approve":
        return services.approve(actor, transfer)
    if action == "reject":
        return services.reject(actor, transfer, "材料不全")
    if action == "cancel":
        return services.cancel(actor, transfer, "本人撤回")
    if action == "issue":
        return services.issue_letter(actor, transfer)
    if action == "accept":
        return services.accept(actor, transfer, receipt_number="石板回字第8号")
    if action == "return":
        return services.return_transfer(actor, transfer, "缺少党费缴纳证明")
    return services.record_note(actor, transfer, "对方已收到介绍信")


# What each action leads to, from the statuses it may start from.
TARGET = {
    "approve": S.APPROVED,  # one approval level (the default)
    "reject": S.REJECTED,
    "cancel": S.CANCELLED,
    "issue": S.IN_TRANSIT,
    "accept": S.ACCEPTED,
    "return": S.RETURNED,
}
ALLOWED = {(status, action) for action, spec in rules.ACTIONS.items() for status in spec.sources}
ALL_CASES = [(status, action) for status in S.values for action in rules.ACTIONS]


def test_the_state_table_is_the_documented_one():
    documented = {
        (S.APPLIED, "approve"), (S.APPLIED, "reject"), (S.APPLIED, "cancel"),
        (S.APPROVED, "cancel"), (S.APPROVED, "issue"),
        (S.IN_TRANSIT, "accept"), (S.IN_TRANSIT, "return"),
        (S.APPLIED, "note"), (S.APPROVED, "note"), (S.IN_TRANSIT, "note"),
    }  # fmt: skip
    assert documented == ALLOWED


@pytest.mark.parametrize(("status", "action"), [c for c in ALL_CASES if c in ALLOWED])
def test_every_allowed_transition_moves_the_transfer_and_writes_a_step(world, status, action):
    transfer = put_in(world, status)
    steps = transfer.steps.count()
    done = run(action, as_(world, "district_admin"), transfer)
    assert done.status == TARGET.get(action, status)
    assert transfer.steps.count() == steps + 1
    step = transfer.steps.last()
    assert (step.action, step.from_status, step.to_status) == (action, status, done.status)
    assert AuditEntry.unscoped.filter(action=f"transfer.{action}", object_id=str(transfer.pk))


@pytest.mark.parametrize(("status", "action"), [c for c in ALL_CASES if c not in ALLOWED])
def test_every_other_transition_is_refused_and_changes_nothing(world, status, action):
    transfer = put_in(world, status)
    with pytest.raises(ValidationError) as refused:
        run(action, as_(world, "district_admin"), transfer)
    assert refused.value.code == "state"
    after = Transfer.unscoped.get(pk=transfer.pk)
    assert (after.status, after.version) == (status, transfer.version)
    assert transfer.steps.count() == 1  # the application only


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("grid_worker", "approve", S.APPLIED),  # no right to approve
        ("outsider", "approve", S.APPLIED),  # another town's organization
        ("outsider", "issue", S.APPROVED),
        ("outsider", "accept", S.IN_TRANSIT),  # the other side is outside: town A records
        ("service_staff", "cancel", S.APPLIED),
    ],
)
def test_a_user_whose_side_does_not_take_the_step_is_refused(world, role, action, status):
    transfer = put_in(world, status)
    with pytest.raises(PermissionDenied):
        run(action, as_(world, role), transfer)
    assert Transfer.unscoped.get(pk=transfer.pk).status == status


def test_only_the_organization_holding_the_relationship_applies(world):
    with pytest.raises(PermissionDenied):
        applied(world, member=world.member_b)
    assert not Transfer.unscoped.filter(member=world.member_b, to_org=world.external).exclude(
        pk=world.transfer_b.pk
    )


def test_a_member_has_one_transfer_under_way_and_the_database_holds_to_it(world):
    member = new_member(world)
    first = applied(world, member=member)
    with pytest.raises(ValidationError):
        applied(world, member=member, to=world.branch_b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.unscoped.create(
            member=member, kind="within", from_org=world.branch_a, from_org_name="a",
            to_org=world.branch_b, to_org_name="b", flow_range="city", reason="x",
        )  # fmt: skip
    services.cancel(as_(world, "branch_secretary"), first, "填错了")
    assert applied(world, member=member, to=world.branch_b).status == S.APPLIED


def test_with_no_levels_above_the_branch_alone_approves(world, settings):
    settings.TRANSFER_APPROVAL_LEVELS_ABOVE = 0
    transfer = applied(world)
    assert transfer.approvals_needed == 1
    assert services.approve(as_(world, "branch_secretary"), transfer).status == S.APPROVED


def test_with_one_level_above_the_town_committee_approves_after_the_branch(world, settings):
    settings.TRANSFER_APPROVAL_LEVELS_ABOVE = 1
    transfer = applied(world)
    # The general branch (党总支) between them has no say over transfers.
    assert rules.approval_chain(world.branch_a) == [world.branch_a, world.town_a_org]
    assert transfer.approvals_needed == 2
    transfer = services.approve(as_(world, "branch_secretary"), transfer)
    assert (transfer.status, rules.approving_org(transfer)) == (S.APPLIED, world.town_a_org)
    with pytest.raises(PermissionDenied):
        services.approve(as_(world, "branch_secretary"), transfer)
    with pytest.raises(ValidationError):
        services.issue_letter(as_(world, "town_admin"), transfer)
    transfer = services.approve(as_(world, "town_admin"), transfer)
    assert transfer.status == S.APPROVED
    orgs = list(transfer.steps.filter(action="approve").values_list("org__name", flat=True))
    assert orgs == [world.branch_a.name, world.town_a_org.name]
    letter = services.issue_letter(as_(world, "branch_secretary"), transfer)
    assert letter.issuing_org == world.town_a_org


def test_a_refusal_closes_the_application_with_its_reason(world, settings):
    settings.TRANSFER_APPROVAL_LEVELS_ABOVE = 1
    transfer = services.approve(as_(world, "branch_secretary"), applied(world))
    with pytest.raises(ValidationError):
        services.reject(as_(world, "town_admin"), transfer, "  ")
    refused = services.reject(as_(world, "town_admin"), transfer, "去向不明确")
    assert (refused.status, refused.closing_reason) == (S.REJECTED, "去向不明确")
    assert refused.steps.last().org == world.town_a_org and refused.closed_at is not None


@pytest.mark.parametrize(("flow_range", "days"), [("city", 30), ("province", 90)])
def test_the_letter_is_valid_30_days_within_the_city_and_90_otherwise(world, flow_range, days):
    transfer = in_transit(world, flow_range=flow_range)
    assert transfer.valid_until - transfer.issued_on == dt.timedelta(days=days)


def test_a_transfer_within_the_zone_is_always_within_the_city(world):
    transfer = applied(world, to=world.branch_b, flow_range="other_province")
    assert (transfer.kind, transfer.flow_range) == ("within", "city")


def test_letters_are_numbered_per_year_without_gaps_or_repeats(world):
    secretary = as_(world, "branch_secretary")
    serials = []
    for day in (dt.date(2031, 3, 1), dt.date(2031, 11, 26), dt.date(2032, 1, 4)):
        transfer = services.approve(secretary, applied(world))
        serials.append(services.issue_letter(secretary, transfer, on=day).serial)
    assert serials == [
        "经开组转字〔2031〕第0001号",
        "经开组转字〔2031〕第0002号",
        "经开组转字〔2032〕第0001号",
    ]
    assert Transfer.unscoped.exclude(serial=None).count() == 4  # and the world's transfer_a
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.unscoped.filter(pk=world.transfer_a.pk).update(serial=serials[0])


def test_a_letter_is_in_transit_on_its_last_valid_day_and_expires_the_day_after(world):
    transfer = in_transit(world, flow_range="city")
    last_day = transfer.valid_until
    assert services.expire_overdue(today=last_day) == 0
    assert Transfer.unscoped.get(pk=transfer.pk).status == S.IN_TRANSIT
    assert services.expire_overdue(today=last_day + dt.timedelta(days=1)) >= 1
    expired = Transfer.unscoped.get(pk=transfer.pk)
    assert expired.status == S.EXPIRED and expired.steps.last().action == "expire"
    assert AuditEntry.unscoped.filter(action="transfer.expire", object_id=str(transfer.pk))
    transfer.member.refresh_from_db()
    assert transfer.member.org == world.branch_a  # the member stays
    assert services.expire_overdue(today=last_day + dt.timedelta(days=1)) == 0


def test_an_expired_letter_cannot_be_accepted(world):
    transfer = in_transit(world, to=world.branch_b)
    with pytest.raises(ValidationError) as refused:
        services.accept(
            as_(world, "outsider"),
            transfer,
            received_on=transfer.valid_until + dt.timedelta(days=1),
        )
    assert refused.value.code == "expired"


def test_the_worker_expires_overdue_letters(world):
    transfer = in_transit(world)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Transfer.unscoped.filter(pk=transfer.pk).update(valid_until=yesterday)
    call_command("worker", "--once")
    assert Transfer.unscoped.get(pk=transfer.pk).status == S.EXPIRED


def test_accepting_moves_the_member_and_writes_history(world):
    member = new_member(world)
    transfer = in_transit(world, member=member, to=world.branch_b)
    done = services.accept(as_(world, "outsider"), transfer)
    member.refresh_from_db()
    assert member.org == world.branch_b and member.status == "normal"
    change = MemberChange.objects.filter(member=member, action="transfer").get()
    assert change.fields["org"] == [world.branch_a.name, world.branch_b.name]
    assert change.fields["transfer"] == transfer.serial
    assert (done.status, done.receipt_number, done.received_on) == (
        S.ACCEPTED,
        transfer.serial,
        timezone.localdate(),
    )


def test_a_failure_after_the_move_leaves_the_member_where_they_were(world, monkeypatch):
    member = new_member(world)
    transfer = in_transit(world, member=member, to=world.branch_b)

    def broken(actor, action, obj=None, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.accept(as_(world, "outsider"), transfer)
    member.refresh_from_db()
    assert member.org == world.branch_a
    assert not MemberChange.objects.filter(member=member, action="transfer").exists()
    assert Transfer.unscoped.get(pk=transfer.pk).status == S.IN_TRANSIT


def test_returning_keeps_the_member_and_says_why(world):
    member = new_member(world)
    transfer = in_transit(world, member=member, to=world.branch_b)
    with pytest.raises(ValidationError):
        services.return_transfer(as_(world, "outsider"), transfer, "")
    done = services.return_transfer(as_(world, "outsider"), transfer, "缺少党费缴纳证明")
    member.refresh_from_db()
    assert member.org == world.branch_a
    assert (done.status, done.closing_reason) == (S.RETURNED, "缺少党费缴纳证明")


def test_the_sending_side_records_the_steps_of_an_organization_outside(world):
    transfer = world.transfer_a  # 张伟 to 三都县石板村党支部, in transit
    secretary = as_(world, "branch_secretary")
    services.record_note(secretary, transfer, "对方来电：介绍信已收到，正在审核材料")
    done = services.accept(secretary, transfer, receipt_number="石板回字〔2026〕3号")
    note, accepted = done.steps.get(action="note"), done.steps.get(action="accept")
    assert note.on_behalf and accepted.on_behalf
    assert accepted.org_name == world.external.name and accepted.org == world.branch_a
    world.member_a.refresh_from_db()
    assert (world.member_a.org, world.member_a.status) == (world.external, "transferred_out")


def test_a_receiver_only_named_keeps_the_record_here_marked_transferred_out(world):
    member = new_member(world)
    data = {"to_org_name": "中共某县某镇委员会", "to_place": "四川省",
            "flow_range": "other_province", "reason": "回原籍"}  # fmt: skip
    transfer = services.apply(as_(world, "branch_secretary"), member, data)
    services.approve(as_(world, "branch_secretary"), transfer)
    services.issue_letter(as_(world, "branch_secretary"), transfer)
    services.accept(as_(world, "branch_secretary"), transfer)
    member.refresh_from_db()
    assert (member.org, member.status) == (world.branch_a, "transferred_out")


def test_a_transfer_into_the_zone_is_registered_and_accepted_by_the_receiving_side(world):
    inflow = world.inflow_a  # relationship at 三都县石板村党支部, floating in grid A
    data = {"to_org": world.branch_a, "external_serial": "三组转字〔2026〕第15号",
            "issued_on": timezone.localdate(), "flow_range": "other_province",
            "reason": "在横林镇长期工作"}  # fmt: skip
    transfer = services.register_incoming(as_(world, "grid_worker"), inflow, data)
    assert (transfer.kind, transfer.status, transfer.from_org) == (
        "in",
        S.IN_TRANSIT,
        world.external,
    )
    assert transfer.valid_until == timezone.localdate() + dt.timedelta(days=90)
    assert transfer.steps.get().on_behalf
    with pytest.raises(PermissionDenied):
        services.accept(as_(world, "grid_worker"), transfer)
    services.accept(as_(world, "branch_secretary"), transfer)
    inflow.refresh_from_db()
    assert (inflow.org, inflow.status, inflow.floating_direction) == (world.branch_a, "normal", "")
    assert FloatingRecord.unscoped.get(pk=world.inflow_record_a.pk).status == "returned"


def test_an_incoming_transfer_needs_a_relationship_held_outside(world):
    data = {"to_org": world.branch_a, "external_serial": "x", "issued_on": timezone.localdate(),
            "reason": "x"}  # fmt: skip
    with pytest.raises(ValidationError):
        services.register_incoming(as_(world, "grid_worker"), new_member(world), data)


def test_steps_are_never_changed(world):
    step = world.transfer_b.steps.get()
    step.note = "改写"
    with pytest.raises(RuntimeError):
        step.save()
    with pytest.raises(RuntimeError):
        step.delete()


# Pages: who sees what, and the steps through the staff pages.


def third_town(world):
    town = RegionFactory(name="丁堰街道", kind=RegionKind.STREET, parent=world.district)
    org = PartyOrgFactory(
        name="丁堰街道党工委", level=OrgLevel.WORKING_COMMITTEE, region=town, parent=world.root_org
    )
    return UserFactory(username="town_c", role=Role.TOWN_ADMIN, org=org)


def test_both_sides_see_a_transfer_and_a_third_town_does_not(world, client):
    member = new_member(world)
    transfer = in_transit(world, member=member, to=world.branch_b)
    url = reverse("control:transfer_detail", kwargs={"pk": transfer.pk})
    member_url = reverse("control:member_detail", kwargs={"pk": member.pk})
    client.force_login(world.users["branch_secretary"])
    assert client.get(url).status_code == 200 and client.get(member_url).status_code == 200
    client.force_login(world.users["outsider"])  # the receiving side, town B
    page = client.get(url)
    assert page.status_code == 200 and member.name in page.content.decode()
    assert "accept" in page.context["actions"] and not page.context["member_visible"]
    assert client.get(member_url).status_code == 404
    client.force_login(third_town(world))
    assert client.get(url).status_code == 404
    assert client.get(reverse("control:transfer_list")).context["page"].paginator.count == 0


def test_a_step_posted_through_the_page_needs_the_version_it_was_shown(world, client):
    transfer = world.transfer_b
    url = reverse("control:transfer_approve", kwargs={"pk": transfer.pk})
    client.force_login(world.users["outsider"])
    assert client.post(url, {"version": transfer.version + 1}).status_code == 302
    assert Transfer.unscoped.get(pk=transfer.pk).status == S.APPLIED
    client.post(url, {"version": transfer.version})
    assert Transfer.unscoped.get(pk=transfer.pk).status == S.APPROVED


def test_a_secretary_applies_through_the_page(world, client):
    member = new_member(world)
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:transfer_create", kwargs={"pk": member.pk})
    empty = client.post(url, {"flow_range": "city", "reason": "工作调动"})
    assert empty.status_code == 200 and "to_org" in empty.context["form"].errors
    response = client.post(url, {"to_org": world.branch_b.pk, "flow_range": "city",
                                 "reason": "工作调动"})  # fmt: skip
    transfer = Transfer.unscoped.get(member=member)
    assert response.status_code == 302 and response["Location"].endswith(f"/{transfer.pk}/")
    assert transfer.to_org == world.branch_b and transfer.applied_by.username == "secretary_a"


def test_the_list_filters_and_counts_by_status_and_direction(world, client):
    in_transit(world, to=world.branch_b)
    client.force_login(world.users["outsider"])
    listed = client.get(reverse("control:transfer_list"))
    assert listed.context["total"] == 2  # transfer_b (sent) and the one it receives
    counts = {value: n for value, _label, n, _query in listed.context["statuses"]}
    assert (counts["applied"], counts["in_transit"]) == (1, 1)
    incoming = client.get(reverse("control:transfer_list") + "?direction=in")
    assert [t.to_org for t in incoming.context["page"]] == [world.branch_b]
    found = client.get(reverse("control:transfer_list") + "?q=李娜&status=open")
    assert [t.pk for t in found.context["page"]] == [world.transfer_b.pk]


def test_the_letter_shows_its_number_and_validity_in_chinese_dates(world, client):
    transfer = world.transfer_a
    client.force_login(world.users["grid_worker"])
    html = client.get(reverse("control:transfer_letter", kwargs={"pk": transfer.pk})).content
    html = html.decode()
    day = transfer.valid_until
    assert transfer.serial in html and f"{day.year}年{day.month}月{day.day}日" in html
    assert world.member_a.id_mask in html and html.count(transfer.serial) == 3


@pytest.mark.django_db(transaction=True)
def test_letters_issued_at_the_same_moment_never_share_a_number():
    """Eight issues at once, each in its own connection and transaction."""
    import threading

    from django.db import connection

    numbers, errors = [], []
    barrier = threading.Barrier(8)

    def issue() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                numbers.append(services.allocate_serial(2040))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(numbers) == list(range(1, 9))


def test_the_demo_has_transfers_in_every_state_with_their_history(everything):
    from heli.demo.zone import build_zone, clear_zone
    from heli.transfers.models import LetterCounter

    clear_zone()
    build_zone()
    transfers = list(Transfer.objects.select_related("member", "to_org"))
    assert {t.status for t in transfers} == set(S.values)
    for transfer in transfers:
        steps = list(transfer.steps.all())
        assert steps[-1].to_status == transfer.status and transfer.version == len(steps)
        if transfer.status == S.ACCEPTED:
            assert transfer.member.org == transfer.to_org
    counters = dict(LetterCounter.objects.values_list("year", "last"))
    for year, last in counters.items():
        numbers = sorted(t.serial_number for t in transfers if t.serial_year == year)
        assert numbers == list(range(1, last + 1))
    assert sum(counters.values()) == len([t for t in transfers if t.serial])
    # The next letter the services issue continues the demo's numbering.
    year, last = max(counters.items())
    assert services.allocate_serial(year) == last + 1


def test_an_outflow_record_follows_the_relationship_within_the_zone(world):
    transfer = in_transit(world, member=world.outflow_a, to=world.branch_a2)
    services.accept(as_(world, "town_admin"), transfer)
    world.outflow_record_a.refresh_from_db()
    assert world.outflow_record_a.status == "active"
    assert world.outflow_record_a.outflow_org == world.branch_a2
    assert world.outflow_record_a.events.filter(kind="relationship_moved").exists()
