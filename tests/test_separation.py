"""三权分立: the system administrator keeps the accounts, the security administrator the roles
and the login locks, the audit administrator the audit log; none of them sees member data, no
person holds two of the three, nobody gives themselves a role, and the district keeps its work
without any of them. (Which page answers what for every role: tests/test_url_matrix.py.)"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from heli.accounts import services
from heli.accounts.models import User
from heli.accounts.roles import ADMIN_ROLES, Right, Role, rights_of
from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMINS = ("system_admin", "security_admin", "audit_admin")


def _login(client, world, role: str):
    client.force_login(world.users[role])
    return client


def test_the_three_administrators_share_no_right_and_none_sees_members():
    held = [rights_of(role) for role in ADMIN_ROLES]
    assert len(held) == 3 and all(held)
    assert not (held[0] & held[1]) and not (held[0] & held[2]) and not (held[1] & held[2])
    for rights in held:
        assert not rights & {Right.VIEW, Right.VIEW_SENSITIVE, Right.EDIT_MEMBERS}


def test_the_district_keeps_its_work_without_accounts_roles_or_locks():
    work = {Right.VIEW, Right.EDIT_MEMBERS, Right.VIEW_SENSITIVE, Right.EDIT_STRUCTURE,
            Right.OPEN_CAMPAIGNS, Right.APPROVE_TRANSFERS, Right.RESTORE_MEMBERS}  # fmt: skip
    assert work <= rights_of(Role.DISTRICT_ADMIN)
    for role in (Role.DISTRICT_ADMIN, Role.TOWN_ADMIN):
        assert not rights_of(role) & {Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES, Right.LIFT_LOCKS}


def test_a_district_admin_no_longer_reaches_account_management_or_the_lock_page(world, client):
    _login(client, world, "district_admin")
    for name in ("control:account_list", "control:account_create", "control:account_locks"):
        assert client.get(reverse(name)).status_code == 403, name
    worker = world.users["grid_worker"]
    edit = reverse("control:account_edit", kwargs={"pk": worker.pk})
    assert client.get(edit).status_code == 403
    menu = client.get(reverse("control:dashboard")).content.decode()
    assert reverse("control:account_list") not in menu
    with pytest.raises(PermissionDenied):
        services.set_password(Actor(world.users["district_admin"]), worker, "Grid#2027y")


def test_a_system_admin_gets_403_on_member_pages_and_exports(world, client):
    _login(client, world, "system_admin")
    member = world.member_a.pk
    for url in (
        reverse("control:member_list"),
        reverse("control:member_export"),
        reverse("control:member_detail", kwargs={"pk": member}),
        reverse("control:audit_log"),
        reverse("control:account_locks"),
        reverse("control:floating_list"),
        reverse("control:ledger_export", kwargs={"pk": world.grid_a.pk, "kind": "affiliated"}),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("control:member_reveal", kwargs={"pk": member})).status_code == 403
    # The organization picker of the account form answers; the member picker does not.
    orgs = client.get(reverse("control:lookup", kwargs={"kind": "orgs"}), {"q": "网格"})
    assert orgs.status_code == 200 and orgs.json()["results"]
    assert client.get(reverse("control:lookup", kwargs={"kind": "members"})).status_code == 403


def test_an_audit_admin_sees_only_the_audit_log(world, client):
    _login(client, world, "audit_admin")
    desk = client.get(reverse("control:dashboard"))
    assert desk.status_code == 302 and desk["Location"] == reverse("control:audit_log")
    page = client.get(reverse("control:audit_log"))
    assert page.status_code == 200
    assert [item["url"] for item in page.context["menu"]] == ["control:audit_log"]
    assert client.get(reverse("control:audit_log"), {"export": "xlsx"}).status_code == 200
    for name in ("control:member_list", "control:account_list", "control:account_locks"):
        assert client.get(reverse(name)).status_code == 403, name


def test_each_administrator_lands_on_its_own_page(world, client):
    expected = {"system_admin": "control:account_list", "security_admin": "control:account_list"}
    for role, name in expected.items():
        desk = _login(client, world, role).get(reverse("control:dashboard"))
        assert desk.status_code == 302 and desk["Location"] == reverse(name), role
    menu = [i["url"] for i in client.get(reverse("control:account_list")).context["menu"]]
    assert menu == ["control:account_list"]  # the security admin's; locks are linked from it


def test_the_audit_admins_own_reading_is_audited_where_the_district_reads_it(world, client):
    _login(client, world, "audit_admin").get(reverse("control:audit_log"), {"export": "xlsx"})
    entry = AuditEntry.unscoped.get(action="audit.export")
    assert entry.username == world.users["audit_admin"].username
    _login(client, world, "district_admin")
    page = client.get(reverse("control:audit_log"), {"user": "auditadmin"}).content.decode()
    assert "auditadmin" in page


def test_a_system_admin_cannot_create_an_administrator(world, client):
    actor = Actor(world.users["system_admin"])
    for role in ADMIN_ROLES:
        with pytest.raises(PermissionDenied):
            services.create_account(
                actor, {"username": f"x_{role}", "role": role, "org": world.root_org}, "Xx#1234567"
            )
    _login(client, world, "system_admin")
    form = client.get(reverse("control:account_create")).context["form"]
    offered = {value for value, _label in form.fields["role"].choices}
    assert not offered & set(ADMIN_ROLES)
    assert {"", Role.DISTRICT_ADMIN, Role.GRID_WORKER} <= offered
    data = {"username": "boss", "last_name": "王五", "role": Role.SECURITY_ADMIN,
            "org": world.root_org.pk, "new_password": "Boss#20271x", "is_active": "on"}  # fmt: skip
    response = client.post(reverse("control:account_create"), data)
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert not User.objects.filter(username="boss").exists()


def test_a_system_admin_creates_an_account_without_a_role_that_sees_nothing(world, client):
    _login(client, world, "system_admin")
    data = {"username": "newcomer", "last_name": "王五", "role": "", "org": world.root_org.pk,
            "new_password": "New#20271xy", "is_active": "on"}  # fmt: skip
    assert client.post(reverse("control:account_create"), data).status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.role == "" and newcomer.rights == frozenset()


def test_a_system_admin_cannot_touch_an_administrators_account_or_its_own(world, client):
    actor = Actor(world.users["system_admin"])
    _login(client, world, "system_admin")
    for role in ADMINS:
        target = world.users[role]
        for name in ("control:account_edit", "control:account_password"):
            assert client.get(reverse(name, kwargs={"pk": target.pk})).status_code == 403
        with pytest.raises(PermissionDenied):
            services.set_password(actor, target, "Take#Over2027")
        with pytest.raises(PermissionDenied):
            services.update_account(actor, target, {"is_active": False})


def test_a_system_admin_cannot_turn_a_work_account_into_an_administrator(world):
    actor = Actor(world.users["system_admin"])
    worker = world.users["grid_worker"]
    with pytest.raises(PermissionDenied):
        services.update_account(actor, worker, {"role": Role.AUDIT_ADMIN})
    services.update_account(actor, worker, {"role": Role.BRANCH_SECRETARY, "last_name": "钱多"})
    worker.refresh_from_db()
    assert (worker.role, worker.last_name) == (Role.BRANCH_SECRETARY, "钱多")


def test_only_a_security_admin_grants_the_three_roles_and_it_is_audited(world, client):
    worker = world.users["grid_worker"]
    url = reverse("control:account_role", kwargs={"pk": worker.pk})
    for role in ("system_admin", "district_admin", "audit_admin"):
        assert _login(client, world, role).get(url).status_code == 403, role
    _login(client, world, "security_admin")
    offered = {v for v, _label in client.get(url).context["form"].fields["role"].choices}
    assert set(ADMIN_ROLES) <= offered
    assert client.post(url, {"role": Role.AUDIT_ADMIN}).status_code == 302
    worker.refresh_from_db()
    assert worker.role == Role.AUDIT_ADMIN
    entry = AuditEntry.unscoped.get(action="account.role")
    assert entry.detail == {"role": [Role.GRID_WORKER.value, Role.AUDIT_ADMIN.value]}
    assert entry.username == "secadmin" and entry.object_id == str(worker.pk)


def test_nobody_gives_themselves_a_role(world, client):
    for role in ("security_admin", "system_admin"):
        me = world.users[role]
        with pytest.raises(PermissionDenied):
            services.set_role(Actor(me), me, Role.DISTRICT_ADMIN)
        with pytest.raises(PermissionDenied):
            services.update_account(Actor(me), me, {"role": Role.DISTRICT_ADMIN})
    me = world.users["security_admin"]
    _login(client, world, "security_admin")
    url = reverse("control:account_role", kwargs={"pk": me.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"role": Role.SYSTEM_ADMIN}).status_code == 403
    me.refresh_from_db()
    assert me.role == Role.SECURITY_ADMIN
    assert not AuditEntry.unscoped.filter(action="account.role").exists()


def test_nobody_gives_a_role_to_a_second_account_of_their_own(world):
    security = world.users["security_admin"]
    mine = UserFactory(username="mine", last_name=security.last_name, role=Role.GRID_WORKER,
                       org=world.branch_a)  # fmt: skip
    with pytest.raises(ValidationError):
        services.set_role(Actor(security), mine, Role.DISTRICT_ADMIN)
    assert User.objects.get(username="mine").role == Role.GRID_WORKER


def test_the_same_person_cannot_hold_two_of_the_three(world):
    """A person is their 姓名, and their phone where both accounts have one: a second account
    of the system administrator's is refused the security and the audit role."""
    sysadmin = world.users["system_admin"]
    sysadmin.phone = "13800001111"
    sysadmin.save()
    name, actor = sysadmin.last_name, Actor(world.users["security_admin"])
    second = UserFactory(username="second", last_name=name, role="", org=world.root_org)
    for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        with pytest.raises(ValidationError):
            services.set_role(actor, second, role)
    assert User.objects.get(username="second").role == ""
    twin = UserFactory(username="twin", last_name=name, phone="13800001111", role="",
                       org=world.root_org)  # fmt: skip
    services.set_role(actor, twin, Role.SYSTEM_ADMIN)  # the same power twice is one power
    namesake = UserFactory(username="namesake", last_name=name, phone="13900002222", role="",
                           org=world.root_org)  # fmt: skip
    services.set_role(actor, namesake, Role.AUDIT_ADMIN)  # another person of the same name
    assert User.objects.get(username="namesake").role == Role.AUDIT_ADMIN


def test_a_security_admin_lifts_locks_but_cannot_edit_accounts(world, client):
    _login(client, world, "security_admin")
    assert client.get(reverse("control:account_locks")).status_code == 200
    worker = world.users["grid_worker"]
    assert client.get(reverse("control:account_edit", kwargs={"pk": worker.pk})).status_code == 403
    page = client.get(reverse("control:account_list")).content.decode()
    assert reverse("control:account_role", kwargs={"pk": worker.pk}) in page
    assert reverse("control:account_edit", kwargs={"pk": worker.pk}) not in page
    assert reverse("control:account_create") not in page
    assert reverse("control:account_locks") in page


def test_a_towns_system_admin_manages_the_towns_accounts_only(world, client):
    town_sysadmin = UserFactory(username="sys_a", role=Role.SYSTEM_ADMIN, org=world.town_a_org)
    actor = Actor(town_sysadmin)
    services.set_password(actor, world.users["town_admin"], "Town#Reset2027")
    with pytest.raises(PermissionDenied):
        services.set_password(actor, world.users["outsider"], "Town#Reset2027")
    with pytest.raises(PermissionDenied):  # a zone-wide role is not a town's to hand out
        services.update_account(actor, world.users["grid_worker"], {"role": Role.AUDITOR})
    with pytest.raises(PermissionDenied):  # nor may it move an account out of its town
        services.update_account(actor, world.users["grid_worker"], {"org": world.root_org})


def test_the_first_administrators_come_from_the_command_and_are_audited(world, monkeypatch):
    monkeypatch.setenv("HELI_ADMIN_PASSWORD", "First#Sec2027x")
    out = io.StringIO()
    call_command("createadmin", "sec1", role="security_admin", name="周安全", stdout=out)
    created = User.objects.get(username="sec1")
    assert created.role == Role.SECURITY_ADMIN and created.org == world.root_org
    assert created.check_password("First#Sec2027x") and created.must_change_password
    entry = AuditEntry.unscoped.get(action="account.create", object_id=str(created.pk))
    assert entry.username == "createadmin" and entry.detail["role"] == Role.SECURITY_ADMIN
    with pytest.raises(CommandError):  # only the three roles
        call_command("createadmin", "x", role="district_admin", name="某")
    with pytest.raises(CommandError):  # the same person, a second of the three
        call_command("createadmin", "sec2", role="audit_admin", name="周安全")
    monkeypatch.setenv("HELI_ADMIN_PASSWORD", "abc")
    with pytest.raises(CommandError):  # the password rules hold here too
        call_command("createadmin", "aud1", role="audit_admin", name="吴审计")
    assert not User.objects.filter(username__in=["x", "sec2", "aud1"]).exists()
