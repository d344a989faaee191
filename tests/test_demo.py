import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from heli.core.scoping import Scope, activate
from heli.demo.zone import DEMO_PASSWORD, build_zone
from heli.orgs import stats
from heli.orgs.models import OrgCategory, PartyOrg, Region, RegionKind
from heli.stations.models import Station, StationKind


def _login(client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username


@pytest.fixture
def demo(db):
    with activate(Scope.everything()):
        return build_zone(seed=2024)


def test_the_demo_zone_has_the_articles_counts(demo):
    with activate(Scope.everything()):
        towns = Region.objects.filter(kind__in=[RegionKind.TOWN, RegionKind.STREET])
        assert sorted(towns.values_list("name", flat=True)) == sorted(
            ["戚墅堰街道", "丁堰街道", "潞城街道", "遥观镇", "横林镇", "横山桥镇"]
        )
        assert Region.objects.filter(kind=RegionKind.GRID).count() == 337
        assert Region.objects.filter(name="东方社区", parent__name="戚墅堰街道").exists()
        by_kind = dict(stats.station_counts())
        assert by_kind[StationKind.GRID_STATION.label] == 337
        assert by_kind[StationKind.RED_POST.label] == 20
        assert by_kind[StationKind.SERVICE_POINT.label] == 10
        assert by_kind[StationKind.RED_MAGNET_HOME.label] == 30
        assert by_kind[StationKind.SERVICE_CENTRE.label] == 1
        assert Station.objects.get(kind=StationKind.SERVICE_CENTRE).name == "红石榴党群服务中心"
        assert PartyOrg.objects.filter(category=OrgCategory.RED_MAGNET).count() == 8
        assert PartyOrg.objects.filter(category=OrgCategory.SCHOOL).count() == 3
        chain = PartyOrg.objects.get(name="绿色家居产业链党委")
        assert chain.category == OrgCategory.INDUSTRY_CHAIN and chain.region.name == "横林镇"
        assert chain.children.get().category == OrgCategory.FLOATING


def test_every_demo_grid_has_one_branch_and_one_direct_station(demo):
    with activate(Scope.everything()):
        assert not stats.grids_missing_branch_or_station().exists()
        for grid in Region.objects.filter(kind=RegionKind.GRID)[:50]:
            assert grid.party_orgs.filter(level="branch").count() == 1
            assert grid.stations.filter(kind=StationKind.GRID_STATION).count() == 1
            assert grid.boundary["type"] == "Polygon"


def test_the_demo_is_the_same_for_the_same_seed(db):
    def fingerprint():
        with activate(Scope.everything()):
            return (
                list(Region.objects.values_list("path", "name")),
                list(PartyOrg.objects.values_list("path", "name", "secretary")),
                list(Station.objects.order_by("name").values_list("name", "address", "grid__path")),
            )

    with activate(Scope.everything()):
        build_zone(seed=7)
    first = fingerprint()
    call_command("demo", "--reset", "--seed", "7")
    assert fingerprint() == first


def test_the_demo_command_refuses_to_overwrite_a_zone(demo):
    with pytest.raises(CommandError):
        call_command("demo")
    call_command("demo", "--if-empty")  # leaves the zone as it is


def test_the_dashboard_shows_the_demo_counts_from_the_data(demo, client):
    _login(client, "district")
    response = client.get(reverse("control:dashboard"))
    levels = response.context["levels"]
    assert levels["towns"] == 6 and levels["grids"] == 337 and levels["stations"] == 398
    chart = response.context["chart"]
    assert sum(t["grids"] for t in chart["towns"]) == 337


def test_each_demo_role_can_log_in(demo, client):
    for username in ("district", "town", "secretary", "grid", "service", "liaison", "auditor"):
        _login(client, username)
        assert client.get(reverse("control:dashboard")).status_code == 200
        client.logout()


def test_the_town_admin_dashboard_counts_only_their_town(demo, client):
    _login(client, "town")
    levels = client.get(reverse("control:dashboard")).context["levels"]
    with activate(Scope.everything()):
        town = Region.objects.get(name="横林镇")
        grids = Region.objects.filter(kind=RegionKind.GRID, path__startswith=town.path).count()
    assert levels["towns"] == 1 and levels["grids"] == grids < 337
