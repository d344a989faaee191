"""A sweep's page counts its tasks in one pass (reports.campaigns.summary): the same figures
as the separate counts (progress, per outcome, the lost members all, pending and located),
for every user's scope, as the decisions come in."""

from __future__ import annotations

import pytest

from heli.audit.services import Actor
from heli.campaigns import services
from heli.campaigns.models import CampaignTask, Outcome
from heli.core.scoping import activate
from heli.reports import campaigns as stats

pytestmark = pytest.mark.django_db

LOCATED = {"new_address": "上海市浦东新区张江路88号", "new_phone": "139 1234 5678", "note": "找到"}


def _counted_apart(tasks) -> tuple:
    done, total = stats.progress(tasks)
    lost = tasks.filter(was_lost=True)
    return (
        done,
        total,
        stats.outcome_counts(tasks),
        lost.count(),
        lost.filter(outcome=Outcome.PENDING).count(),
        lost.filter(outcome=Outcome.LOCATED).count(),
    )


def _in_one_pass(tasks) -> tuple:
    s = stats.summary(tasks)
    return (s.done, s.total, s.outcomes, s.lost, s.lost_pending, s.lost_located)


def _same_for_every_user(world) -> None:
    for user in world.users.values():
        with activate(user.scope()):
            for campaign in (world.campaign_a, world.campaign_b):
                tasks = CampaignTask.objects.filter(campaign=campaign)
                assert _in_one_pass(tasks) == _counted_apart(tasks), (user.username, campaign)


def test_one_pass_counts_what_the_separate_counts_did_as_decisions_come_in(world):
    _same_for_every_user(world)
    worker = Actor(user=world.users["grid_worker"])
    services.decide(worker, world.task_a, Outcome.LOCATED, LOCATED)
    _same_for_every_user(world)
    with activate(world.users["district_admin"].scope()):
        figures = stats.summary(CampaignTask.objects.filter(campaign=world.campaign_a))
    assert (figures.done, figures.total, figures.outcomes[Outcome.LOCATED]) == (1, 2, 1)
    assert figures.lost >= figures.lost_pending + figures.lost_located
