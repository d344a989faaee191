"""Passwords (issue #10, part 12): one's own change, the change forced after an administrator
set the password or after it expired, the history of the last ones, the demo's password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from heli.accounts import services
from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.demo.zone import DEMO_PASSWORD

PASSWORD = "Test#2026pass"
CHANGE = reverse("control:password_change")


def _login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password": new, "repeat_password": new})


def _age_password(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days))


def _admin(world) -> Actor:
    return Actor(user=world.users["system_admin"])


@pytest.mark.django_db
def test_changing_my_password_keeps_me_logged_in_and_is_audited(world, client):
    _login(client, "worker_a")
    response = _change(client, PASSWORD, "Neu#Pass2027")
    assert response.status_code == 302
    assert client.get(reverse("control:dashboard")).status_code == 200  # still logged in
    worker = User.objects.get(username="worker_a")
    assert worker.check_password("Neu#Pass2027")
    entry = AuditEntry.unscoped.get(action="account.password_change")
    assert entry.username == "worker_a"
    assert "Neu#Pass2027" not in str(entry.detail)


@pytest.mark.django_db
def test_a_wrong_old_password_changes_nothing(world, client):
    _login(client, "worker_a")
    response = _change(client, "wrong", "Neu#Pass2027")
    assert response.status_code == 200
    assert User.objects.get(username="worker_a").check_password(PASSWORD)
    assert not AuditEntry.unscoped.filter(action="account.password_change").exists()


@pytest.mark.django_db
def test_the_user_menu_links_to_the_change_page(world, client):
    client.force_login(world.users["auditor"])
    page = client.get(reverse("control:dashboard")).content.decode()
    assert f'href="{CHANGE}"' in page


@pytest.mark.django_db
def test_a_password_set_by_an_admin_must_be_changed_at_first_login(world, client):
    worker = world.users["grid_worker"]
    services.set_password(_admin(world), worker, "Admin#Set2027")
    assert _login(client, "worker_a", "Admin#Set2027").status_code == 302
    response = client.get(reverse("control:member_list"))
    assert response.status_code == 302 and response["Location"] == CHANGE
    page = client.get(CHANGE).content.decode()
    assert "请修改" in page  # the reason, in Chinese
    # Static files, logout and the language switch stay reachable.
    assert client.get("/static/heli/favicon.svg").get("Location") != CHANGE
    lang = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert lang["Location"] != CHANGE
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert _change(client, "Admin#Set2027", "Own#Choice2027").status_code == 302
    assert client.get(reverse("control:member_list")).status_code == 200
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_created_by_an_admin_must_change_its_password(world, client):
    data = {"username": "new_one", "role": Role.GRID_WORKER, "org": world.branch_a}
    services.create_account(_admin(world), data, "First#Pass2027")
    _login(client, "new_one", "First#Pass2027")
    assert client.get(reverse("control:dashboard"))["Location"] == CHANGE


@pytest.mark.django_db
def test_factory_accounts_are_not_forced_to_change(world, client):
    client.force_login(world.users["town_admin"])
    assert client.get(reverse("control:dashboard")).status_code == 200


@pytest.mark.django_db
def test_an_expired_password_must_be_changed(world, client, settings):
    settings.HELI_PASSWORD_MAX_AGE_DAYS = 90
    _age_password(world.users["grid_worker"], days=91)
    _login(client, "worker_a")
    assert client.get(reverse("control:dashboard"))["Location"] == CHANGE
    _change(client, PASSWORD, "Fresh#Pass2027")
    assert client.get(reverse("control:dashboard")).status_code == 200


@pytest.mark.django_db
def test_a_max_age_of_zero_turns_expiry_off(world, client, settings):
    settings.HELI_PASSWORD_MAX_AGE_DAYS = 0
    _age_password(world.users["grid_worker"], days=900)
    client.force_login(world.users["grid_worker"])
    assert client.get(reverse("control:dashboard")).status_code == 200


@pytest.mark.django_db
def test_the_last_five_passwords_cannot_be_reused(world, client):
    worker = world.users["grid_worker"]
    admin = _admin(world)
    used = [f"Used#{n}Pass2027" for n in range(5)]
    for password in used:
        worker = services.set_password(admin, worker, password)
    worker.refresh_from_db()
    assert len(worker.password_history) == 4  # with the current one: the last five
    assert all(h.startswith("md5$") for h in worker.password_history)  # hashes only
    for password in used:
        with pytest.raises(ValidationError) as refused:
            validate_password(password, worker)
        assert "最近" in " ".join(refused.value.messages)
    validate_password(PASSWORD, worker)  # the sixth from last may come back
    # The admin's set-password page refuses it too.
    client.force_login(world.users["system_admin"])
    url = reverse("control:account_password", kwargs={"pk": worker.pk})
    page = client.post(url, {"new_password": used[0], "repeat_password": used[0]})
    assert page.status_code == 200 and "最近" in page.content.decode()


@pytest.mark.django_db
def test_my_own_change_refuses_my_current_password(world, client):
    _login(client, "worker_a")
    response = _change(client, PASSWORD, PASSWORD)
    assert response.status_code == 200 and "最近" in response.content.decode()


@pytest.mark.django_db
def test_the_demo_password_is_refused_outside_the_demo(world, settings):
    settings.HELI_DEMO = False
    with pytest.raises(ValidationError) as refused:
        validate_password(DEMO_PASSWORD, world.users["grid_worker"])
    assert "演示" in " ".join(refused.value.messages)
    settings.HELI_DEMO = True
    validate_password(DEMO_PASSWORD, None)


def test_the_demo_command_refuses_to_run_outside_the_demo(db, settings):
    settings.HELI_DEMO = False
    with pytest.raises(CommandError):
        call_command("demo")
