"""Login locks: a (username, address) pair is locked after wrong passwords, an address that
tries many usernames is throttled on its own, and the security administrator lifts locks on a
page (三权分立: no work role, the district's included, reaches it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from heli.accounts.roles import Role
from heli.audit.models import AuditEntry
from tests.factories import UserFactory

PASSWORD = "Test#2026pass"
ATTACKER = "10.0.0.66"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _attack(username: str, times: int = 5, address: str = ATTACKER) -> Client:
    attacker = Client(REMOTE_ADDR=address)
    for _ in range(times):
        _login(attacker, username, "wrong")
    return attacker


@pytest.mark.django_db
def test_failures_from_another_address_do_not_lock_the_district_admin_out(world):
    _attack("district", times=8)
    admin = Client(REMOTE_ADDR="10.0.0.1")
    assert _login(admin, "district", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_attackers_own_address_gets_locked_even_for_the_right_password(world):
    attacker = _attack("district")
    response = _login(attacker, "district", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert "此用户名在您的地址" in response.content.decode()


@pytest.mark.django_db
def test_an_address_trying_many_usernames_is_throttled_whatever_the_username(world, settings):
    settings.LOGIN_ADDRESS_LIMIT = 6
    attacker = _attack("nobody", times=3)
    _attack("town_a", times=3)
    response = _login(attacker, "town_b", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session
    html = response.content.decode()
    assert "您的地址登录失败次数过多" in html
    assert _login(Client(REMOTE_ADDR="10.0.0.2"), "town_b", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_throttled_address_gets_the_same_answer_for_known_and_unknown_usernames(world, settings):
    settings.LOGIN_ADDRESS_LIMIT = 3
    attacker = _attack("nobody", times=3)
    known = _login(attacker, "town_b", PASSWORD)
    unknown = _login(attacker, "nobody_else", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert known.context["form"].errors == unknown.context["form"].errors


@pytest.mark.django_db
def test_a_lock_is_audited_once_as_its_own_action(world):
    _attack("district", times=8)
    entry = AuditEntry.unscoped.get(action="account.lock")
    assert entry.detail == {"username": "district", "address": ATTACKER, "kind": "pair"}
    assert entry.ip_address == ATTACKER and not entry.success
    assert entry.object_id == str(world.users["district_admin"].pk)


@pytest.mark.django_db
def test_an_address_throttle_is_audited_once(world, settings):
    settings.LOGIN_ADDRESS_LIMIT = 4
    attacker = _attack("nobody", times=2)
    _attack("nobody2", times=2)
    _login(attacker, "town_b", "wrong")
    entry = AuditEntry.unscoped.get(action="account.lock")
    assert entry.detail == {"address": ATTACKER, "kind": "address"}


def _staff(world, role: str) -> Client:
    return _client_of(world.users[role])


def _client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _town_security(world):
    """Town A's own security administrator (bound to the town's organization)."""
    return UserFactory(username="sec_a", role=Role.SECURITY_ADMIN, org=world.town_a_org)


@pytest.mark.django_db
def test_the_lock_page_says_when_nothing_is_locked_and_is_linked_from_the_accounts(world):
    client = _staff(world, "security_admin")
    html = client.get(reverse("control:account_locks")).content.decode()
    assert 'data-testid="no-locks"' in html
    accounts = client.get(reverse("control:account_list")).content.decode()
    assert reverse("control:account_locks") in accounts


@pytest.mark.django_db
def test_unlocking_through_the_page_lifts_the_lock_and_is_audited(world):
    attacker = _attack("town_a")
    security = _town_security(world)
    client = _client_of(security)
    html = client.get(reverse("control:account_locks")).content.decode()
    assert "town_a" in html and ATTACKER in html and "data-confirm" in html
    url = reverse("control:account_unlock", kwargs={"pk": world.users["town_admin"].pk})
    response = client.post(url, {"address": ATTACKER})
    assert response.status_code == 302
    entry = AuditEntry.unscoped.get(action="account.unlock")
    assert entry.detail == {"username": "town_a", "address": ATTACKER, "kind": "pair"}
    assert entry.user == security
    assert 'data-testid="no-locks"' in client.get(reverse("control:account_locks")).content.decode()
    assert _login(attacker, "town_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_towns_security_admin_cannot_see_or_unlock_another_towns_users_locks(world):
    _attack("town_b")
    client = _client_of(_town_security(world))
    html = client.get(reverse("control:account_locks")).content.decode()
    assert "town_b" not in html
    url = reverse("control:account_unlock", kwargs={"pk": world.users["outsider"].pk})
    assert client.post(url, {"address": ATTACKER}).status_code == 404
    assert _login(Client(REMOTE_ADDR=ATTACKER), "town_b", PASSWORD).status_code == 429
    assert not AuditEntry.unscoped.filter(action="account.unlock").exists()


@pytest.mark.django_db
def test_locks_without_a_known_account_are_for_the_zones_security_admin_only(world, settings):
    settings.LOGIN_ADDRESS_LIMIT = 5
    _attack("nobody")
    town_security = _client_of(_town_security(world))
    town = town_security.get(reverse("control:account_locks")).content.decode()
    assert "nobody" not in town and ATTACKER not in town
    district = _staff(world, "security_admin")
    html = district.get(reverse("control:account_locks")).content.decode()
    assert "nobody" in html and ATTACKER in html
    forbidden = town_security.post(reverse("control:account_locks"), {"address": ATTACKER})
    assert forbidden.status_code == 404
    response = district.post(reverse("control:account_locks"), {"address": ATTACKER})
    assert response.status_code == 302
    entry = AuditEntry.unscoped.get(action="account.unlock")
    assert entry.detail == {"address": ATTACKER, "kind": "address"}
    assert _login(Client(REMOTE_ADDR=ATTACKER), "town_b", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_unlocking_an_account_without_an_address_lifts_its_locks_at_every_address(world):
    _attack("town_a")
    _attack("town_a", address="10.0.0.67")
    client = _staff(world, "security_admin")
    url = reverse("control:account_unlock", kwargs={"pk": world.users["town_admin"].pk})
    assert client.post(url).status_code == 302
    entry = AuditEntry.unscoped.get(action="account.unlock")
    assert entry.detail == {"username": "town_a", "kind": "pair"}
    for address in (ATTACKER, "10.0.0.67"):
        assert _login(Client(REMOTE_ADDR=address), "town_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_no_work_role_lifts_a_lock_any_longer(world):
    _attack("town_a")
    url = reverse("control:account_unlock", kwargs={"pk": world.users["town_admin"].pk})
    for role in ("district_admin", "town_admin", "system_admin", "audit_admin"):
        client = _staff(world, role)
        assert client.get(reverse("control:account_locks")).status_code == 403, role
        assert client.post(url, {"address": ATTACKER}).status_code == 403, role
    assert not AuditEntry.unscoped.filter(action="account.unlock").exists()
