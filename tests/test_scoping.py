import pytest

from heli.core.scoping import Scope, ScopeError, activate
from heli.orgs.models import PartyOrg, Region
from heli.stations.models import Station


@pytest.mark.django_db
def test_a_query_outside_any_scope_raises_instead_of_leaking(world):
    with pytest.raises(ScopeError):
        list(Station.objects.all())
    with pytest.raises(ScopeError):
        Region.objects.count()


@pytest.mark.django_db
def test_it_hides_other_towns_regions_orgs_and_stations(world):
    with activate(world.users["town_admin"].scope()):
        assert world.grid_b not in Region.objects.all()
        assert world.branch_b not in PartyOrg.objects.all()
        assert set(Station.objects.all()) == {world.station_a, world.station_a2}


@pytest.mark.django_db
def test_a_branch_secretary_sees_only_their_branch_and_grid(world):
    with activate(world.users["branch_secretary"].scope()):
        assert list(Region.objects.all()) == [world.grid_a]
        assert set(PartyOrg.objects.all()) == {world.branch_a, world.external}
        assert list(Station.objects.all()) == [world.station_a]


@pytest.mark.django_db
def test_the_district_sees_the_whole_zone(world):
    with activate(world.users["district_admin"].scope()):
        assert Station.objects.count() == 3
        assert Region.objects.count() == Region.unscoped.count()


@pytest.mark.django_db
def test_a_non_regional_organization_sees_no_region(world):
    world.users["grid_worker"].org = world.enterprise_a
    with activate(world.users["grid_worker"].scope()):
        assert Region.objects.count() == 0
        assert set(PartyOrg.objects.all()) == {world.enterprise_a, world.external}


@pytest.mark.django_db
def test_an_inactive_or_unbound_account_sees_nothing(world):
    user = world.users["town_admin"]
    user.is_active = False
    assert user.scope() == Scope.nothing()
    with activate(user.scope()):
        assert Station.objects.count() == 0
        assert PartyOrg.objects.count() == 0


@pytest.mark.django_db
def test_organizations_outside_the_zone_are_a_shared_directory(world):
    for role in ("outsider", "branch_secretary", "town_admin"):
        with activate(world.users[role].scope()):
            assert world.external in PartyOrg.objects.all()


@pytest.mark.django_db
def test_a_station_run_by_an_organization_in_scope_is_visible_outside_its_region(world):
    world.station_b.org = world.enterprise_a
    world.station_b.save()
    with activate(world.users["town_admin"].scope()):
        assert world.station_b in Station.objects.all()


@pytest.mark.django_db
def test_the_unrestricted_scope_of_commands_sees_everything(world):
    with activate(Scope.everything()):
        assert PartyOrg.objects.count() == PartyOrg.unscoped.count() > 1
        assert Station.objects.count() == 3
        assert Region.objects.count() == Region.unscoped.count()


@pytest.mark.django_db
def test_a_whole_tree_scope_combined_with_a_subtree_still_sees_the_whole_tree(world):
    with activate(Scope(org_path=world.town_b_org.path, region_path="")):
        assert Station.objects.count() == 3


@pytest.mark.django_db
def test_each_scope_keeps_its_own_resolved_filter(world):
    town_a = world.users["town_admin"].scope()
    town_b = world.users["outsider"].scope()
    for _ in range(2):  # the second round reads the kept filters
        with activate(town_a):
            assert set(Station.objects.all()) == {world.station_a, world.station_a2}
        with activate(town_b):
            assert set(Station.objects.all()) == {world.station_b}


@pytest.mark.django_db
def test_a_kept_scoped_queryset_is_never_handed_out_itself(world):
    with activate(Scope.everything()):
        first = Station.objects.all()
        assert list(first)  # evaluated: its result cache is its own
        Station.objects.filter(pk=world.station_a.pk).update(name="改名后的直通站")
        assert "改名后的直通站" in {station.name for station in Station.objects.all()}
        assert Station.objects.get_queryset() is not Station.objects.get_queryset()


@pytest.mark.django_db
def test_a_related_manager_is_still_scoped(world):
    with activate(world.users["outsider"].scope()):
        assert not world.grid_a.stations.exists()
    with activate(Scope.everything()):
        assert world.grid_a.stations.exists()
