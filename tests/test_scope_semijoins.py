"""The scopes of members, floating records, stations, letters and sweep tasks are semi-joins on
the ids of the visible organizations and regions: the same rows as their paths' joins, and no
join."""

import functools
import operator

import pytest
from django.db import connection
from django.db.models import Q

from heli.campaigns.models import CampaignTask
from heli.core.scoping import Scope, activate
from heli.letters.models import ReminderLetter
from heli.members.models import Member
from heli.mobility.models import FloatingRecord
from heli.stations.models import Station

RECORD_SIDES = ("outflow_org", "inflow_org", "industry_chain", "joined_org")


def _by_paths(scope: Scope, record: str = "") -> Q:
    """A record's four organizations and a grid (the record's, or the task's when `record`
    names the task's record) by the paths' joins: how the rules read before the ids."""
    sides = [scope.org_q(f"{record}{side}__path") for side in RECORD_SIDES]
    return functools.reduce(operator.or_, sides, scope.region_q("grid__path"))


PATH_RULES = {
    Member: lambda scope: (
        scope.org_q("org__path")
        | scope.region_q("residence_grid__path")
        | scope.region_q("reported_to__path")
    ),
    FloatingRecord: _by_paths,
    CampaignTask: lambda scope: _by_paths(scope, "record__"),
    Station: lambda scope: scope.region_q("grid__path") | scope.org_q("org__path"),
    ReminderLetter: lambda scope: (
        scope.org_q("issuing_org__path") | scope.org_q("record__outflow_org__path")
    ),
}


def _scopes(world) -> list[Scope]:
    scopes = [user.scope() for user in world.users.values()]
    return [*scopes, Scope.everything(), Scope.nothing(), Scope("", world.town_a.path)]


@pytest.mark.django_db
def test_each_scope_sees_the_same_rows_through_the_ids_as_through_the_paths(world):
    assert FloatingRecord.unscoped.exists() and ReminderLetter.unscoped.exists()
    for scope in _scopes(world):
        with activate(scope):
            for model, rule in PATH_RULES.items():
                seen = set(model.objects.values_list("pk", flat=True))
                rows = model.unscoped.filter(rule(scope))
                if model is Member:
                    rows = rows.filter(deleted_at__isnull=True)
                expected = set(rows.values_list("pk", flat=True))
                assert seen == expected, (model.__name__, scope)


@pytest.mark.django_db
def test_a_scoped_count_joins_no_organization_or_region_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps the paths' joins (Scope.org_in)")
    with activate(world.users["town_admin"].scope()):
        for model in PATH_RULES:
            sql = str(model.objects.order_by().query)
            # A sweep task's and a letter's record: the one join, to its own keys.
            assert sql.count(" JOIN ") == (model in (CampaignTask, ReminderLetter)), sql


@pytest.mark.django_db
def test_a_narrow_places_floating_ledger_reads_each_sides_ids_apart(world):
    from heli.members import ledgers

    with activate(world.users["district_admin"].scope()):
        rows = ledgers.ledger_members("floating", world.grid_a)
        assert "UNION" in str(rows.query)
        assert set(rows) == {world.outflow_a, world.inflow_a}
