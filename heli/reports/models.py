"""Tallies: member counts kept per combination of what a member's scope and ledgers look at, so
that counting a scope or a place sums a few thousand tally rows instead of scanning members."""

from __future__ import annotations

from django.db import models

from heli.orgs.models import PartyOrg, Region


class MemberTally(models.Model):
    """How many not-deleted members share one organization, residence grid, community reported
    to, status and floating direction. Kept by database triggers on the member table
    (heli.reports.tallies) in the same transaction as every insert, update and delete, whatever
    wrote it (the services, the import's COPY, a queryset update); `heli tallies check` compares
    them with the members, `heli tallies rebuild` counts them again."""

    # The key as one text column (ids with "" for none), so that an upsert has one conflict
    # target on both databases whatever is null.
    key = models.CharField(max_length=80, unique=True)
    # No constraints: a tally row is arithmetic, never a reason to keep or lock a node.
    org = models.ForeignKey(
        PartyOrg, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    residence_grid = models.ForeignKey(
        Region, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    reported_to = models.ForeignKey(
        Region, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=16)
    floating_direction = models.CharField(max_length=3, blank=True)
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.n}"


def _node(model: type, null: bool = True) -> models.ForeignKey:
    # No constraints: a tally row is arithmetic, never a reason to keep or lock a node.
    return models.ForeignKey(
        model, null=null, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class FloatingTally(models.Model):
    """How many floating records share one outflow organization, inflow organization,
    industry-chain committee, joined branch, grid, status and direction: what their scope
    (三方共管) and the figures look at. Kept by database triggers like MemberTally."""

    key = models.CharField(max_length=120, unique=True)
    outflow_org = _node(PartyOrg)
    inflow_org = _node(PartyOrg)
    industry_chain = _node(PartyOrg)
    joined_org = _node(PartyOrg)
    grid = _node(Region)
    status = models.CharField(max_length=16)
    direction = models.CharField(max_length=3)
    n = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.n}"
