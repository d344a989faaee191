"""Creating, editing and moving regions and party organizations through the staff pages."""

import pytest
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.orgs.models import PartyOrg, Region
from tests.factories import UserFactory


def _form_errors(response) -> dict:
    return response.context["form"].errors


@pytest.mark.django_db
def test_a_town_admin_adds_a_grid_to_a_village(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:region_create", kwargs={"parent_pk": world.village_a.pk})
    response = client.post(url, {"name": "崔桥村第3网格", "kind": "grid", "code": "G3"})
    grid = Region.unscoped.get(name="崔桥村第3网格")
    assert response.status_code == 302
    assert grid.parent == world.village_a and grid.path.startswith(world.village_a.path)
    assert AuditEntry.unscoped.filter(action="region.create", object_id=str(grid.pk)).exists()


@pytest.mark.django_db
def test_a_grid_cannot_get_sub_regions(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:region_create", kwargs={"parent_pk": world.grid_a.pk})
    response = client.post(url, {"name": "子网格", "kind": "grid"})
    assert response.status_code == 200
    assert "网格是最小单元" in str(_form_errors(response))
    assert not Region.unscoped.filter(name="子网格").exists()


@pytest.mark.django_db
def test_a_boundary_must_be_a_closed_geojson_polygon(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:region_edit", kwargs={"pk": world.grid_a.pk})
    base = {"name": world.grid_a.name, "kind": "grid", "parent": world.village_a.pk}
    for bad in [
        "{not json",
        '{"type": "Point", "coordinates": [120, 31]}',
        '{"type": "Polygon", "coordinates": [[[120, 31], [120.1, 31], [120.1, 31.1]]]}',
        '{"type": "Polygon", "coordinates": [[[120, 31], [120.1, 31], [120.1, 31.1], '
        "[120, 31.1]]]}",
    ]:
        response = client.post(url, {**base, "boundary": bad})
        assert response.status_code == 200, bad
        assert "boundary" in _form_errors(response), bad
    good = (
        '{"type": "Polygon", "coordinates": [[[120, 31], [120.1, 31], [120.1, 31.1], '
        "[120, 31.1], [120, 31]]]}"
    )
    assert client.post(url, {**base, "boundary": good}).status_code == 302
    world.grid_a.refresh_from_db()
    assert world.grid_a.boundary["type"] == "Polygon"


@pytest.mark.django_db
def test_moving_a_village_rewrites_the_paths_of_its_whole_subtree(world, client):
    client.force_login(world.users["district_admin"])
    url = reverse("control:region_edit", kwargs={"pk": world.village_a.pk})
    response = client.post(url, {"name": "崔桥村", "kind": "village", "parent": world.town_b.pk})
    assert response.status_code == 302
    for node in (world.village_a, world.grid_a, world.grid_a2):
        node.refresh_from_db()
        assert node.path.startswith(world.town_b.path)
    assert world.grid_a.depth == 3
    assert AuditEntry.unscoped.filter(action="region.move").exists()


@pytest.mark.django_db
def test_a_region_cannot_move_below_itself(world, client):
    client.force_login(world.users["district_admin"])
    url = reverse("control:region_edit", kwargs={"pk": world.town_a.pk})
    response = client.post(url, {"name": "横林镇", "kind": "town", "parent": world.village_a.pk})
    assert response.status_code == 200
    world.town_a.refresh_from_db()
    assert world.town_a.parent == world.district


@pytest.mark.django_db
def test_a_town_admin_cannot_move_a_village_into_another_town(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:region_edit", kwargs={"pk": world.village_a.pk})
    response = client.post(url, {"name": "崔桥村", "kind": "village", "parent": world.town_b.pk})
    assert response.status_code == 200
    assert "parent" in _form_errors(response)


@pytest.mark.django_db
def test_a_town_admin_adds_a_branch_and_it_needs_a_region_if_regional(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:org_create", kwargs={"parent_pk": world.village_a_org.pk})
    missing = client.post(url, {"name": "新支部", "level": "branch", "category": "regional"})
    assert "region" in _form_errors(missing)
    response = client.post(
        url,
        {"name": "新支部", "level": "branch", "category": "regional", "region": world.grid_a2.pk},
    )
    assert response.status_code == 302
    org = PartyOrg.unscoped.get(name="新支部")
    assert org.parent == world.village_a_org and org.region == world.grid_a2


@pytest.mark.django_db
def test_only_the_district_registers_organizations_outside_the_zone(world, client):
    url = reverse("control:external_org_create")
    client.force_login(world.users["town_admin"])
    assert client.get(url).status_code == 403
    client.force_login(world.users["district_admin"])
    response = client.post(
        url,
        {
            "name": "河南省固始县某村党支部",
            "level": "branch",
            "category": "external",
            "external_place": "河南省信阳市固始县",
        },
    )
    assert response.status_code == 302
    org = PartyOrg.unscoped.get(name="河南省固始县某村党支部")
    assert org.is_external and org.parent is None and org.region is None


@pytest.mark.django_db
def test_a_town_admin_cannot_edit_the_shared_directory(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:org_edit", kwargs={"pk": world.external.pk})
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_invariant_page_lists_grids_without_branch_or_station(world, client):
    lonely = Region.unscoped.create(
        name="无支部网格",
        kind="grid",
        parent=world.village_a,
        path=world.village_a.path + "00099",
        depth=3,
    )
    client.force_login(world.users["town_admin"])
    response = client.get(reverse("control:invariant"))
    rows = list(response.context["page"].object_list)
    assert rows == [lonely]
    assert not rows[0].has_branch and not rows[0].has_station
    client.force_login(world.users["outsider"])
    assert list(client.get(reverse("control:invariant")).context["page"].object_list) == []


@pytest.mark.django_db
def test_the_tree_counts_grids_branches_and_stations_per_child(world, client):
    client.force_login(world.users["district_admin"])
    response = client.get(reverse("control:region_detail", kwargs={"pk": world.district.pk}))
    counts = {c.node.name: (c.grids, c.branches, c.stations) for c in response.context["children"]}
    # 横林镇: two grid branches and the enterprise branch that serves the town
    assert counts == {"横林镇": (2, 3, 2), "遥观镇": (1, 1, 1)}


@pytest.mark.django_db
def test_the_lookup_finds_regions_by_name_within_scope_only(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:lookup", kwargs={"kind": "regions"})
    labels = [r["label"] for r in client.get(url, {"q": "网格"}).json()["results"]]
    assert labels == ["崔桥村第1网格 · 崔桥村", "崔桥村第2网格 · 崔桥村"]
    assert client.get(reverse("control:lookup", kwargs={"kind": "nope"})).status_code == 404


@pytest.mark.django_db
def test_a_towns_system_admin_creates_an_account_but_not_a_district_admin(world, client):
    town_sysadmin = UserFactory(username="sys_a", role="system_admin", org=world.town_a_org)
    client.force_login(town_sysadmin)
    url = reverse("control:account_create")
    data = {
        "username": "new_worker",
        "last_name": "李",
        "first_name": "明",
        "role": "grid_worker",
        "org": world.branch_a.pk,
        "new_password": "Grid#2026x",
        "is_active": "on",
    }
    assert client.post(url, data).status_code == 302
    assert AuditEntry.unscoped.filter(action="account.create").exists()
    response = client.post(url, {**data, "username": "boss", "role": "district_admin"})
    assert "role" in _form_errors(response)
    weak = client.post(url, {**data, "username": "weak", "new_password": "abcdefgh"})
    assert "new_password" in _form_errors(weak)
