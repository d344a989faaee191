import pytest
from django.db.models import Count

from heli.core.tree import STEP_WIDTH, counts_by_child, measures_by_prefix, next_prefix, subtree_q
from heli.orgs.models import Region, RegionKind
from tests.factories import RegionFactory


def test_next_prefix_is_the_first_path_after_a_subtree():
    assert next_prefix("00001") == "00002"
    assert next_prefix("0000100009") == "0000100010"
    assert next_prefix("00001") > "00001" + "99999"


@pytest.mark.django_db
def test_children_get_consecutive_paths_below_their_parent():
    district = RegionFactory(kind=RegionKind.DISTRICT)
    first = RegionFactory(parent=district, kind=RegionKind.TOWN)
    second = RegionFactory(parent=district, kind=RegionKind.TOWN)
    assert first.path == district.path + "00001"
    assert second.path == district.path + "00002"
    assert second.depth == district.depth + 1 == 1
    assert len(second.path) == 2 * STEP_WIDTH


@pytest.mark.django_db
def test_a_subtree_query_finds_descendants_and_nothing_else(world):
    in_town_a = set(Region.unscoped.filter(subtree_q("path", world.town_a.path)))
    assert in_town_a == {world.town_a, world.village_a, world.grid_a, world.grid_a2}


@pytest.mark.django_db
def test_a_subtree_query_is_an_index_range_on_the_path(world, django_assert_num_queries):
    sql = str(Region.unscoped.filter(subtree_q("path", world.town_a.path)).query)
    assert "LIKE" not in sql.upper()
    assert ">=" in sql and "<" in sql


@pytest.mark.django_db
def test_counts_by_child_groups_a_whole_subtree_in_one_query(world, django_assert_num_queries):
    grids = Region.unscoped.filter(kind=RegionKind.GRID)
    with django_assert_num_queries(1):
        counts = counts_by_child(grids, "path", world.district.path)
    assert counts == {world.town_a.path: 2, world.town_b.path: 1}


@pytest.mark.django_db
def test_groups_by_prefix_add_up_to_the_whole_queryset(world, django_assert_num_queries):
    regions = Region.unscoped.all()
    town_length = len(world.town_a.path)
    with django_assert_num_queries(1):
        groups = measures_by_prefix(regions, "path", town_length, {"n": Count("pk")})
    # The district's own path is shorter than a town's: a group of its own, not left out.
    assert groups[world.district.path] == {"n": 1}
    assert groups[world.town_a.path] == {"n": 4}
    assert sum(values["n"] for values in groups.values()) == regions.count()


@pytest.mark.django_db
def test_a_row_without_the_node_falls_in_the_none_group(world):
    grids = Region.unscoped.filter(kind=RegionKind.GRID).values("pk")
    # Regions' parents: the district has none, so it groups under None.
    groups = measures_by_prefix(
        Region.unscoped.exclude(pk__in=grids), "parent__path", STEP_WIDTH, {"n": Count("pk")}
    )
    assert groups[None] == {"n": 1}


@pytest.mark.django_db
def test_ancestors_run_from_the_root_down(world):
    assert list(world.grid_a.ancestors()) == [world.district, world.town_a, world.village_a]
