"""A member cannot vanish: an edit moves a member's relationship only between organizations
inside the editor's scope, and never takes the member out of it (a move across that boundary
is a relationship transfer, 组织关系转接)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.members import services
from heli.members.import_models import JobStatus
from heli.members.models import Member
from tests.test_member_import import problem_text, run_check
from tests.test_member_reimport import Workbook, export, versions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def _refusal(world, user, member, data) -> str:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.update_member(Actor(user), member, data, member.version)
    return " ".join(caught.value.message_dict.get("org", []))


def test_it_refuses_to_move_a_member_to_an_organization_outside_the_zone(world):
    message = _refusal(world, world.users["town_admin"], world.member_a, {"org": world.external})
    assert "组织关系转接" in message and "请在该党员的页面发起" in message
    assert Member.unscoped.get(pk=world.member_a.pk).org == world.branch_a


def test_it_refuses_a_district_admin_moving_a_member_out_of_the_zone_by_an_edit(world):
    message = _refusal(
        world, world.users["district_admin"], world.member_a, {"org": world.external}
    )
    assert "组织关系转接" in message


def test_it_refuses_to_move_a_member_to_another_towns_organization(world):
    message = _refusal(world, world.users["town_admin"], world.member_a, {"org": world.branch_b})
    assert "组织关系转接" in message


def test_it_refuses_to_take_a_member_held_above_the_editor_into_their_organization(world):
    # 赵敏 is held by the district's committee and seen by the town as reported to its village.
    member = world.in_service_a
    assert "组织关系转接" in _refusal(
        world, world.users["town_admin"], member, {"org": world.branch_a}
    )


def test_it_refuses_an_edit_that_would_take_the_member_out_of_the_editors_scope(world):
    # 潘永贤 is held outside the zone and seen by the town only through the grid they live in.
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.update_member(
            Actor(world.users["town_admin"]), world.inflow_a, {"residence_grid": world.grid_b}, 1
        )
    assert "组织关系转接" in str(caught.value)
    assert Member.unscoped.get(pk=world.inflow_a.pk).residence_grid == world.grid_a


def test_a_member_moves_between_organizations_inside_the_editors_subtree(world):
    member = services.update_member(
        Actor(world.users["town_admin"]), world.member_a, {"org": world.branch_a2}, 1
    )
    assert member.org == world.branch_a2


def test_the_edit_form_offers_only_organizations_inside_the_editors_scope(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:member_edit", kwargs={"pk": world.member_a.pk})
    form = client.get(url).context["form"]
    with activate(world.users["town_admin"].scope()):
        offered = set(form.fields["org"].queryset)
    assert world.branch_a2 in offered and world.branch_a in offered
    assert world.external not in offered and world.branch_b not in offered
    assert "external" not in form.fields["org"].widget.filters
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birth_date": "1985-06-15", "joined_on": "2010-07-01", "org": world.external.pk})
    response = client.post(url, data)
    assert response.status_code == 200 and "org" in response.context["form"].errors
    assert Member.unscoped.get(pk=world.member_a.pk).org == world.branch_a


def test_the_edit_form_keeps_a_members_organization_held_outside(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:member_edit", kwargs={"pk": world.inflow_a.pk})
    form = client.get(url).context["form"]
    with activate(world.users["town_admin"].scope()):
        assert world.external in set(form.fields["org"].queryset)


def test_an_import_refuses_to_move_a_member_to_an_organization_outside_the_zone(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "组织关系所在党组织", world.external.name)
    before = versions()
    with translation.override("zh-hans"):
        job = run_check(town_admin, book.content())
    assert job.status == JobStatus.INVALID
    assert "请在该党员的页面发起组织关系转接" in problem_text(job)
    assert versions() == before


def test_it_refuses_to_register_a_member_held_outside_whom_the_editor_could_not_see(world, client):
    from tests.test_members import _create_data

    client.force_login(world.users["town_admin"])
    data = _create_data(world, org=world.external.pk, residence_grid="")
    with translation.override("zh-hans"):
        response = client.post(reverse("control:member_create"), data)
    assert response.status_code == 200
    assert "您的管理范围内无人能查看该党员" in response.content.decode()
    assert not Member.unscoped.filter(name="孙丽").exists()


def test_a_town_admin_cannot_change_a_peer_town_admins_account(world):
    from django.core.exceptions import PermissionDenied

    from heli.accounts import services as accounts
    from tests.factories import UserFactory

    peer = UserFactory(username="town_a2", role="town_admin", org=world.town_a_org)
    with pytest.raises(PermissionDenied):
        accounts.update_account(Actor(world.users["town_admin"]), peer, {"is_active": False})
    peer.refresh_from_db()
    assert peer.is_active


def test_an_import_refuses_to_take_a_member_out_of_the_importers_scope(world, client):
    # 赵敏 is held by the district's committee; the town sees her through the grid she lives
    # in and the village she reported to. A row clearing both would hide her from the town.
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("赵敏", "居住网格", None).set("赵敏", "报到社区", None)
    before = versions()
    with translation.override("zh-hans"):
        job = run_check(town_admin, book.content())
    assert job.status == JobStatus.INVALID
    assert "您的管理范围内无人能查看该党员" in problem_text(job)
    assert versions() == before
    member = Member.unscoped.get(pk=world.in_service_a.pk)
    assert (member.residence_grid, member.reported_to) == (world.grid_a2, world.village_a)
