"""Staff accounts as the system administrator manages them: one 姓名, a clear 是否启用, a
password given when the account is created and set anew on a page of its own (audited).
(Who may do what to which account, 三权分立: tests/test_separation.py.)"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from heli.accounts.models import User
from heli.audit.actions import LABELS
from heli.audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _new(world, **extra) -> dict:
    return {
        "username": "new_worker", "last_name": "欧阳明月", "role": "grid_worker",
        "org": world.branch_a.pk, "new_password": "Grid#2026x", "is_active": "on", **extra,
    }  # fmt: skip


def _labels(form) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {name: str(field.label) for name, field in form.fields.items()}


def test_the_account_form_asks_one_name_and_whether_the_account_is_enabled(world, client):
    client.force_login(world.users["system_admin"])
    form = client.get(reverse("control:account_create")).context["form"]
    labels = _labels(form)
    assert "first_name" not in form.fields
    assert labels["last_name"] == "姓名" and form.fields["last_name"].required
    assert labels["is_active"] == "是否启用"
    with translation.override("zh-hans"):
        help_text = str(form.fields["is_active"].help_text)
    assert "登录" in help_text and "活跃" not in help_text
    assert "new_password" in form.fields


def test_a_new_account_keeps_its_whole_name_in_one_field_and_is_shown_by_it(world, client):
    client.force_login(world.users["system_admin"])
    assert client.post(reverse("control:account_create"), _new(world)).status_code == 302
    user = User.objects.get(username="new_worker")
    assert (user.last_name, user.first_name) == ("欧阳明月", "")
    assert user.display_name == "欧阳明月" and str(user) == "欧阳明月"
    nameless = client.post(reverse("control:account_create"), _new(world, username="x",
                                                                   last_name=""))  # fmt: skip
    assert nameless.status_code == 200 and "last_name" in nameless.context["form"].errors


def test_editing_an_account_has_no_password_field_and_changes_no_password(world, client):
    worker = world.users["grid_worker"]
    client.force_login(world.users["system_admin"])
    url = reverse("control:account_edit", kwargs={"pk": worker.pk})
    page = client.get(url)
    assert "new_password" not in page.context["form"].fields
    assert reverse("control:account_password", kwargs={"pk": worker.pk}) in page.content.decode()
    data = {**_new(world, username=worker.username, last_name="钱多多"), "new_password": "Xx#12345"}
    assert client.post(url, data).status_code == 302
    worker.refresh_from_db()
    assert worker.last_name == "钱多多" and not worker.check_password("Xx#12345")


def test_an_administrator_sets_a_new_password_on_its_own_page_and_it_is_audited(world, client):
    worker = world.users["grid_worker"]
    client.force_login(world.users["system_admin"])
    url = reverse("control:account_password", kwargs={"pk": worker.pk})
    mismatch = client.post(url, {"new_password": "Grid#2027y", "repeat_password": "Grid#2027z"})
    assert mismatch.status_code == 200 and mismatch.context["form"].errors
    weak = client.post(url, {"new_password": "abcdefgh", "repeat_password": "abcdefgh"})
    assert "new_password" in weak.context["form"].errors
    done = client.post(url, {"new_password": "Grid#2027y", "repeat_password": "Grid#2027y"})
    assert done.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Grid#2027y")
    entry = AuditEntry.unscoped.get(action="account.password")
    assert entry.object_id == str(worker.pk) and "Grid#2027y" not in str(entry.detail)
    assert "account.password" in LABELS


def test_a_manager_cannot_set_the_password_of_an_account_above_or_outside(world, client):
    town_sysadmin = UserFactory(username="sys_a", role="system_admin", org=world.town_a_org)
    client.force_login(town_sysadmin)
    above = reverse("control:account_password", kwargs={"pk": world.users["district_admin"].pk})
    outside = reverse("control:account_password", kwargs={"pk": world.users["outsider"].pk})
    assert client.get(above).status_code == 404  # the district is not in the town's scope
    assert client.get(outside).status_code == 404
    town_boss = reverse("control:account_password", kwargs={"pk": world.users["town_admin"].pk})
    assert client.get(town_boss).status_code == 200  # a work role inside the town
    security = UserFactory(username="sec_a", role="security_admin", org=world.town_a_org)
    administrator = reverse("control:account_password", kwargs={"pk": security.pk})
    assert client.get(administrator).status_code == 403


def test_the_data_migration_puts_a_split_name_into_one_field(world):
    user = UserFactory(username="split", last_name="王", first_name="小明")
    empty = UserFactory(username="nameless", last_name="", first_name="")
    migration = importlib.import_module("heli.accounts.migrations.0003_one_name_field")
    migration.merge_names(apps, None)
    user.refresh_from_db()
    empty.refresh_from_db()
    assert (user.last_name, user.first_name, user.display_name) == ("王小明", "", "王小明")
    assert empty.display_name == "nameless"


def test_people_are_姓名_never_名称_in_chinese():
    from django.utils.translation import pgettext

    from heli.members.models import Member
    from heli.mobility.models import PendingCheckIn

    with translation.override("zh-hans"):
        assert pgettext("person", "Name") == "姓名"
        assert str(Member._meta.get_field("name").verbose_name) == "姓名"
        assert str(PendingCheckIn._meta.get_field("name").verbose_name) == "姓名"
        assert str(User._meta.get_field("last_name").verbose_name) == "姓名"
