"""Scopes read through ids: a model whose scope is an OR of several paths asks for each path's
ids (a semi-join on one index range of the tree) instead of joining the tree's table once per
path. The rows every user sees are exactly those the joined paths select, for every scope
(the whole zone, nothing, a subtree of each tree), and the scoped query joins no tree table
for its scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from heli.campaigns.models import Campaign, CampaignTask
from heli.core.scoping import Scope, activate
from heli.letters import services as letters
from heli.letters.models import ReminderLetter
from heli.mobility.models import CheckIn, CheckInStatus, FloatingRecord
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _joined_paths_of_a_task(scope: Scope) -> Q:
    return (
        scope.region_q("grid__path")
        | scope.org_q("record__outflow_org__path")
        | scope.org_q("record__inflow_org__path")
        | scope.org_q("record__industry_chain__path")
        | scope.org_q("record__joined_org__path")
    )


def _joined_paths_of_a_record(scope: Scope) -> Q:
    return (
        scope.org_q("outflow_org__path")
        | scope.org_q("inflow_org__path")
        | scope.org_q("industry_chain__path")
        | scope.region_q("grid__path")
        | scope.org_q("joined_org__path")
    )


def _joined_paths_of_a_check_in(scope: Scope) -> Q:
    return (
        scope.region_q("station__grid__path")
        | scope.org_q("station__org__path")
        | scope.org_q("member__org__path")
        | scope.region_q("member__residence_grid__path")
        | scope.org_q("member__industry_chain__path")
    )


def _joined_paths_of_a_letter(scope: Scope) -> Q:
    return scope.org_q("issuing_org__path") | scope.org_q("record__outflow_org__path")


def _check_ins_across_the_paths(w) -> None:
    """A member of town A's branch checks in at town B's station, and one living in town A's
    grid whose relationship is with the district checks in at town A's."""
    today = timezone.localdate()
    for member, station in (
        (MemberFactory(org=w.branch_a, residence_grid=w.grid_a), w.station_b),
        (w.in_service_a, w.station_a),
    ):
        CheckIn.unscoped.create(
            member=member, station=station, day=today, status=CheckInStatus.VERIFIED
        )


def _scopes(w) -> list[Scope]:
    users = [user.scope() for user in w.users.values()]
    return [*users, Scope.everything(), Scope.nothing(), Scope(w.branch_a.path, None)]


def _seen(model, scope: Scope) -> set[int]:
    with activate(scope):
        return set(model.objects.values_list("pk", flat=True))


def _joined(model, paths: Q) -> set[int]:
    return set(model.unscoped.filter(paths).values_list("pk", flat=True))


def _scope_sql(model, scope: Scope) -> str:
    with activate(scope):
        return str(model.objects.order_by().values("pk").query)


def test_a_sweeps_tasks_are_the_ones_its_joined_paths_selected_for_every_scope(world):
    seen_somewhere = False
    for scope in _scopes(world):
        joined = _joined(CampaignTask, _joined_paths_of_a_task(scope))
        assert _seen(CampaignTask, scope) == joined, scope
        seen_somewhere |= bool(joined)
    assert seen_somewhere


def test_a_sweep_is_seen_by_whoever_sees_its_area_or_one_of_its_tasks(world):
    for scope in _scopes(world):
        tasks = CampaignTask.unscoped.filter(_joined_paths_of_a_task(scope))
        expected = set(
            Campaign.unscoped.filter(scope.region_q("region__path")).values_list("pk", flat=True)
        ) | set(tasks.values_list("campaign_id", flat=True))
        assert _seen(Campaign, scope) == expected, scope


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps the joins: it would drive an OR of semi-joins by each key's index",
)
def test_a_tasks_scope_joins_no_tree_table(world):
    sql = _scope_sql(CampaignTask, world.users["grid_worker"].scope())
    assert 'JOIN "orgs_' not in sql and "JOIN `orgs_" not in sql
    assert sql.count("orgs_partyorg") == 4 and sql.count("orgs_region") == 1


@pytest.mark.parametrize(
    ("model", "joined_paths"),
    [
        (FloatingRecord, _joined_paths_of_a_record),
        (CheckIn, _joined_paths_of_a_check_in),
        (ReminderLetter, _joined_paths_of_a_letter),
    ],
    ids=["floating records", "check-ins", "letters"],
)
def test_records_check_ins_and_letters_are_the_ones_their_joined_paths_selected(
    world, model, joined_paths
):
    _check_ins_across_the_paths(world)
    seen_somewhere = False
    for scope in _scopes(world):
        joined = _joined(model, joined_paths(scope))
        assert _seen(model, scope) == joined, scope
        seen_somewhere |= bool(joined)
    assert seen_somewhere


def test_the_members_due_a_letter_are_those_of_the_users_outflow_organizations(world):
    for scope in _scopes(world):
        with activate(scope):
            due = set(letters.due_records().values_list("pk", flat=True))
            joined = set(
                FloatingRecord.objects.filter(letters.due_q(timezone.localdate()))
                .filter(scope.org_q("outflow_org__path"))
                .values_list("pk", flat=True)
            )
        assert due == joined, scope


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps the joins: it would drive an OR of semi-joins by each key's index",
)
def test_a_records_or_a_letters_scope_joins_no_tree_table(world):
    for model in (FloatingRecord, ReminderLetter):
        sql = _scope_sql(model, world.users["grid_worker"].scope())
        assert 'JOIN "orgs_' not in sql, model
