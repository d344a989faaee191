"""Every service function that changes data checks the right it needs itself, whoever calls
it: a role without the right gets PermissionDenied (a 403 on the page), not only from the view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from heli.accounts import services as accounts
from heli.accounts.roles import Right, Role, require
from heli.audit.services import Actor
from heli.campaigns import services as campaigns
from heli.core.scoping import activate
from heli.letters import services as letters
from heli.members import services as members
from heli.members.imports import jobs
from heli.mobility import checkins, floating, nearby
from heli.mobility.models import Document, FloatingRecord
from heli.orgs import services as orgs
from heli.orgs.models import OrgLevel, PartyOrg, RegionKind
from heli.stations import services as stations
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _inflow(world, name):
    person = MemberFactory(
        name=name, org=world.external, residence_grid=world.grid_a, status="floating",
        floating_direction="in", floating_place="贵州省三都水族自治县",
    )  # fmt: skip
    return FloatingRecord.unscoped.create(
        member=person, direction="in", outflow_org=world.external, place="贵州省三都水族自治县",
        grid=world.grid_a, since=timezone.localdate() - dt.timedelta(days=5),
        flow_range="other_province", reason="work", document=Document.ACTIVITY_CARD,
    )  # fmt: skip


def test_require_lets_the_system_and_a_role_with_the_right_pass_and_refuses_the_others(world):
    require(None, Right.EDIT_STRUCTURE)
    require(world.users["town_admin"], Right.EDIT_STRUCTURE)
    with pytest.raises(PermissionDenied):
        require(world.users["grid_worker"], Right.EDIT_STRUCTURE)


# (role without the right, service call)
CALLS = {
    "create_region": (
        "grid_worker",
        lambda w, a: orgs.create_region(
            a, w.village_a, {"name": "新网格", "kind": RegionKind.GRID}
        ),
    ),
    "update_region": ("grid_worker", lambda w, a: orgs.update_region(a, w.grid_a, {"name": "改"})),
    "create_org": (
        "grid_worker",
        lambda w, a: orgs.create_org(
            a, w.village_a_org, {"name": "新支部", "level": OrgLevel.BRANCH, "region": w.grid_a}
        ),
    ),
    "update_org": ("grid_worker", lambda w, a: orgs.update_org(a, w.branch_a, {"name": "改"})),
    "create_station": (
        "grid_worker",
        lambda w, a: stations.create_station(
            a, {"name": "新站", "grid": w.grid_a, "org": w.branch_a}
        ),
    ),
    "update_station": (
        "grid_worker",
        lambda w, a: stations.update_station(a, w.station_a, {"name": "改"}),
    ),
    "update_member": (
        "service_staff",
        lambda w, a: members.update_member(a, w.member_a, {"employer": "甲"}, 1),
    ),
    "delete_member": ("service_staff", lambda w, a: members.delete_member(a, w.member_a, "重复")),
    "restore_member": ("town_admin", lambda w, a: members.restore_member(a, w.deleted_a)),
    "create_account": (
        "grid_worker",
        lambda w, a: accounts.create_account(
            a, {"username": "x1", "role": Role.GRID_WORKER, "org": w.branch_a}, "Xx#123456"
        ),
    ),
    "update_account": (
        "grid_worker",
        lambda w, a: accounts.update_account(a, w.users["service_staff"], {"last_name": "改"}),
    ),
    # 三权分立: the district keeps its work but no account, role or lock right.
    "set_password": (
        "district_admin",
        lambda w, a: accounts.set_password(a, w.users["grid_worker"], "Grid#20271"),
    ),
    "set_role": (
        "system_admin",
        lambda w, a: accounts.set_role(a, w.users["grid_worker"], Role.AUDIT_ADMIN),
    ),
    "unlock": (
        "district_admin",
        lambda w, a: accounts.unlock(a, user=w.users["grid_worker"]),
    ),
    "open_campaign": (
        "grid_worker",
        lambda w, a: campaigns.open_campaign(
            a, name="归队", region=w.town_a, due_on=timezone.localdate() + dt.timedelta(days=9)
        ),
    ),
}

TODAY = timezone.localdate
LIAISON = "department_liaison"  # reads everything, changes nothing
CALLS |= {
    "create_member": (LIAISON, lambda w, a: members.create_member(a, {"name": "周"})),
    "close_campaign": (
        "grid_worker",
        lambda w, a: campaigns.close(a, w.campaign_a, unfinished_confirmed=True),
    ),
    "decide": (LIAISON, lambda w, a: campaigns.decide(a, w.task_a, "located", {})),
    "reassign": (
        "grid_worker",
        lambda w, a: campaigns.reassign(a, w.task_a, w.users["grid_worker"]),
    ),
    "reassign_all": (
        "grid_worker",
        lambda w, a: campaigns.reassign_all(a, [w.task_a], w.users["grid_worker"]),
    ),
    "issue_letters": (LIAISON, lambda w, a: letters.issue(a, [w.outflow_record_a])),
    "mark_sent": (LIAISON, lambda w, a: letters.mark_sent(a, w.letter_a, TODAY())),
    "remind": (LIAISON, lambda w, a: letters.remind(a, w.letter_a)),
    "remind_all": (LIAISON, lambda w, a: letters.remind_all(a, [w.letter_a])),
    "close_letter": (LIAISON, lambda w, a: letters.close(a, w.letter_a, "manual", "已报到")),
    "cancel_letter": (LIAISON, lambda w, a: letters.cancel(a, w.letter_a, "写错")),
    "register_floating": (LIAISON, lambda w, a: floating.register(a, w.member_a, {})),
    "register_return": (
        LIAISON,
        lambda w, a: floating.register_return(a, w.outflow_record_a, TODAY()),
    ),
    "log_contact": (
        LIAISON,
        lambda w, a: floating.log_contact(a, w.outflow_record_a, "call", "电话联系"),
    ),
    "assign_duties": (LIAISON, lambda w, a: floating.assign_duties(a, w.outflow_record_a, {})),
    "confirm_inflow": (
        LIAISON,
        lambda w, a: floating.confirm_inflow(a, w.inflow_record_a, w.branch_a),
    ),
    "join_branch": (
        LIAISON,
        lambda w, a: floating.join_branch(a, w.inflow_record_a, w.branch_a, TODAY()),
    ),
    "record_check_in": (
        LIAISON,
        lambda w, a: checkins.record_check_in(a, w.member_a, w.station_a, source="staff"),
    ),
    "confirm_pending": (
        LIAISON,
        lambda w, a: checkins.confirm_pending(a, w.pending_a, w.member_a),
    ),
    "reject_pending": (LIAISON, lambda w, a: checkins.reject_pending(a, w.pending_a, "不认识")),
    "confirm_matching": (LIAISON, lambda w, a: checkins.confirm_matching(a, [w.pending_a])),
    "reject_all": (LIAISON, lambda w, a: checkins.reject_all(a, [w.pending_a], "不认识")),
    "create_import_job": (LIAISON, lambda w, a: jobs.create_job(a.user, [b""], "党员.xlsx", "")),
    "confirm_import_job": (LIAISON, lambda w, a: jobs.confirm(w.import_job_a, a)),
    "register_and_confirm": (
        LIAISON,
        lambda w, a: checkins.register_and_confirm(a, w.pending_a, {}),
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_service_refuses_a_role_without_its_right(world, name):
    role, call = CALLS[name]
    user = world.users[role]
    with activate(user.scope()), pytest.raises(PermissionDenied):
        call(world, Actor(user))


def test_a_grid_worker_of_a_town_cannot_form_a_temporary_branch(world):
    worker = UserFactory(username="worker_town", role=Role.GRID_WORKER, org=world.town_a_org)
    records = [world.inflow_record_a] + [_inflow(world, n) for n in ("蒙甲", "蒙乙")]
    with activate(worker.scope()), pytest.raises(PermissionDenied):
        nearby.form_temporary_branch(
            Actor(worker), records, world.town_a_org, "临时党支部", timezone.localdate()
        )
    assert not PartyOrg.unscoped.filter(temporary=True).exists()


def test_the_temporary_branch_page_answers_403_to_a_grid_worker(world, client):
    worker = UserFactory(username="worker_town", role=Role.GRID_WORKER, org=world.town_a_org)
    [_inflow(world, n) for n in ("蒙甲", "蒙乙")]
    client.force_login(worker)
    data = {"place": "贵州省三都水族自治县", "parent": world.town_a_org.pk, "name": "临时党支部",
            "joined_on": timezone.localdate().isoformat()}  # fmt: skip
    url = reverse("control:floating_temporary_branch")
    page = client.get(url, {"place": "贵州省三都水族自治县"})
    assert page.status_code == 200 and 'data-testid="form-branch"' not in page.content.decode()
    response = client.post(url, data)
    assert response.status_code == 403
    assert not PartyOrg.unscoped.filter(temporary=True).exists()


def test_a_town_admin_cannot_set_a_peer_town_admins_password(world, client):
    peer = UserFactory(username="town_a2", role=Role.TOWN_ADMIN, org=world.town_a_org)
    below = UserFactory(username="town_in_village", role=Role.TOWN_ADMIN, org=world.village_a_org)
    town_admin = world.users["town_admin"]
    for target in (peer, below, town_admin):
        with pytest.raises(PermissionDenied):
            accounts.set_password(Actor(town_admin), target, "Peer#20271")
    client.force_login(town_admin)
    url = reverse("control:account_password", kwargs={"pk": peer.pk})
    assert (
        client.post(
            url, {"new_password": "Peer#20271", "repeat_password": "Peer#20271"}
        ).status_code
        == 403
    )
    peer.refresh_from_db()
    assert not peer.check_password("Peer#20271")


def test_a_system_admin_sets_the_password_of_a_work_account_below_it(world):
    """三权分立: passwords are the system administrator's (tests/test_separation.py): a
    town's own sets its grid worker's, the zone's that of a town administrator."""
    town_sysadmin = UserFactory(username="sys_a", role=Role.SYSTEM_ADMIN, org=world.town_a_org)
    accounts.set_password(Actor(town_sysadmin), world.users["grid_worker"], "Grid#20271")
    accounts.set_password(
        Actor(world.users["system_admin"]), world.users["town_admin"], "Town#20271"
    )
    assert (
        world.users["town_admin"]
        .__class__.objects.get(username="town_a")
        .check_password("Town#20271")
    )
