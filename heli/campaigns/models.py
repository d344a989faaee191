"""归队行动: return-to-ranks campaigns. A district or town opens a sweep (拉网式排查) over its
subtree; the sweep holds one task per floating member for the worker of the member's grid, and
each task ends with an outcome. Decisions are kept as append-only `TaskEvent` rows."""

from __future__ import annotations

import functools
import operator

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heli.core.models import AppendOnly
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.models import Member
from heli.mobility.models import FloatingRecord
from heli.orgs.models import PartyOrg, Region


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    LOCATED = "located", _("Located")
    RETURNED = "returned", _("Returned")
    TRANSFERRED = "transferred", _("Relationship transferred")
    UNREACHABLE = "unreachable", _("Unreachable")


DECIDED = (Outcome.LOCATED, Outcome.RETURNED, Outcome.TRANSFERRED, Outcome.UNREACHABLE)


class Campaign(models.Model):
    """One sweep over the subtree of `region` (the district or a town)."""

    name = models.CharField(_("name"), max_length=150)
    region = models.ForeignKey(
        Region, verbose_name=_("area swept"), on_delete=models.PROTECT, related_name="campaigns"
    )
    note = models.TextField(_("instructions"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("return-to-ranks campaign")
        verbose_name_plural = _("return-to-ranks campaigns")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Seen by those whose region subtree holds the swept area, and by everyone who sees
        one of its tasks (a grid worker sees the district's sweep through their grid)."""
        own = cls.managed_q(scope)
        if scope.region_path == "":
            return own
        # The campaigns of the tasks in scope, as a semi-join on ids (an EXISTS per campaign
        # over the tasks' paths cost PostgreSQL 20 ms, mostly planning).
        tasks = CampaignTask.unscoped.filter(CampaignTask.scope_q(scope)).values("campaign_id")
        return own | models.Q(pk__in=tasks)

    @classmethod
    def managed_q(cls, scope: Scope) -> models.Q:
        """Campaigns the scope may close: the swept area lies in the scope's region subtree."""
        return scope.region_q("region__path")

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and timezone.localdate() > self.due_on


class CampaignTask(models.Model):
    """Find one floating member: the worker of the grid reports an outcome."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="tasks"
    )
    record = models.ForeignKey(
        FloatingRecord, verbose_name=_("floating record"), on_delete=models.PROTECT,
        related_name="campaign_tasks",
    )  # fmt: skip
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="campaign_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="campaign_tasks",
    )  # fmt: skip
    was_lost = models.BooleanField(_("lost contact when the campaign opened"), default=False)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    new_address = models.CharField(_("new address"), max_length=255, blank=True)
    new_phone_cipher = models.BinaryField(null=True, editable=False)
    new_phone_mask = models.CharField(_("new phone"), max_length=11, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")
        ordering = ["grid__path", "member__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "record"], name="one_task_per_record")
        ]
        indexes = [
            models.Index(fields=["campaign", "outcome"]),
            models.Index(fields=["campaign", "grid"]),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.member}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Seen through the grid it is in, or by whoever sees the floating record (三方共管)."""
        # The record's keys through its one join (a semi-join on the records themselves read
        # all 34,000 of a zone for 1,600 tasks).
        sides = [scope.org_in(f"record__{f}", PartyOrg) for f in ("outflow_org", "inflow_org")]
        sides += [scope.org_in(f"record__{f}", PartyOrg) for f in ("industry_chain", "joined_org")]
        return functools.reduce(operator.or_, sides, scope.region_in("grid", Region))

    @property
    def is_pending(self) -> bool:
        return self.outcome == Outcome.PENDING


class TaskEvent(AppendOnly):
    """Append-only history of a task (assignment, decision), written by the services."""

    task = models.ForeignKey(CampaignTask, on_delete=models.PROTECT, related_name="events")
    # A default, not auto_now_add: the demo's events carry the moment of their decision.
    at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=16)
    username = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=12, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
