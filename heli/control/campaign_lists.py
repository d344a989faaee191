"""Lists of 归队行动: the sweeps with their progress, and the tasks of one sweep (handed to a
worker in batches)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from heli.accounts.roles import Right
from heli.campaigns.models import Campaign, CampaignStatus, CampaignTask, Outcome
from heli.control import badges
from heli.control.lists.columns import column, date_column, detail_link
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, FlagFilter, TreeFilter
from heli.control.lists.page import BatchAction, ListPage, Search
from heli.control.member_lists import COUNT_LIMIT
from heli.core.scoping import get_scoped_or_404
from heli.orgs.models import Region
from heli.reports import campaigns as stats


def _progress_cell(campaign: Campaign):
    return badges.progress(campaign.percent, campaign.done, campaign.total)


@exportable
class CampaignList(ListPage):
    key = "campaigns"
    testid = "campaign"
    title = _("Return-to-ranks campaigns")
    columns = (
        column("name", _("Name"), "name", sort="name", link=detail_link("control:campaign_detail")),
        column("region", _("Area swept"), "region.name", sort="region__path"),
        column("opened", _("Opened"), lambda c: timezone.localdate(c.opened_at), sort="opened_at",
               css="nowrap"),
        date_column("due_on", _("Due on"), "due_on"),
        column("status", _("Status"), "get_status_display", sort="status"),
        column("progress", _("Progress"), lambda c: f"{c.done} / {c.total}",
               html=_progress_cell),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("region__path",)),
        ChoiceFilter("status", _("Status"), CampaignStatus.choices, field="status"),
    )
    search = Search(_("Name"), None, ("name",))
    default_sort = "-opened"
    template = "control/campaign_list.html"
    empty_text = _("No campaign here yet.")
    export_action = "campaign.list_export"

    def base_queryset(self) -> QuerySet:
        return Campaign.objects.select_related("region", "opened_by")

    def decorate(self, rows) -> list[Any]:
        """Each sweep's progress, counted over the tasks the user sees (one grouped query)."""
        campaigns = list(rows)
        counted = (
            CampaignTask.objects.filter(campaign_id__in=[c.pk for c in campaigns])
            .order_by()
            .values("campaign_id")
            .annotate(total=Count("pk"), done=Count("pk", filter=~Q(outcome=Outcome.PENDING)))
        )
        figures = {row["campaign_id"]: row for row in counted}
        for campaign in campaigns:
            row = figures.get(campaign.pk, {"total": 0, "done": 0})
            campaign.done, campaign.total = row["done"], row["total"]
            campaign.percent = stats.percent(campaign.done, campaign.total)
        return campaigns


def _outcome_cell(task: CampaignTask):
    css = "text-bg-light border" if task.is_pending else "text-bg-danger"
    return format_html('<span class="badge {}">{}</span>', css, task.get_outcome_display())


def _name_cell(task: CampaignTask):
    if task.was_lost:
        lost = _gettext("Lost contact")
        return format_html('{} <span class="state state-lost">{}</span>', task.member.name, lost)
    return task.member.name


def _mine_q(user: Any) -> Q:
    return Q(assignee=user)


def _unassigned_q() -> Q:
    return Q(assignee__isnull=True, outcome=Outcome.PENDING)


def _lost_q() -> Q:
    return Q(was_lost=True)


@exportable
class TaskList(ListPage):
    """The tasks of one sweep: who looks for whom, and what came of it."""

    key = "tasks"
    testid = "task"
    columns = (
        column("member", pgettext_lazy("person", "Name"), "member.name", sort="member__name",
               link=detail_link("control:campaign_task"), html=_name_cell),
        column("grid", _("Grid"), "grid.name", sort="grid__path"),
        column("floating", _("Floating"),
               lambda t: f"{t.record.get_direction_display()} · {t.record.place}"),
        column("assignee", _("Assigned to"),
               lambda t: t.assignee.display_name if t.assignee else _gettext("Unassigned"),
               sort="assignee__username"),
        column("outcome", _("Outcome"), "get_outcome_display", sort="outcome",
               html=_outcome_cell),
        column("done_at", _("Decided on"),
               lambda t: timezone.localdate(t.done_at) if t.done_at else None,
               sort="done_at", css="nowrap"),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("grid__path",)),
        ChoiceFilter("outcome", _("Outcome"), Outcome.choices, field="outcome"),
        FlagFilter("mine", _("Mine"), _mine_q, about_user=True),
        FlagFilter("unassigned", _("Unassigned"), _unassigned_q),
        FlagFilter("lost", _("Lost only"), _lost_q),
    )
    search = Search(_("Name, pinyin initials, or ID number / phone"), "member")
    default_sort = "grid"
    template = "control/campaign_tasks.html"
    assign = BatchAction(
        "control:campaign_task_batch_assign",
        _("Assign to a worker"),
        Right.OPEN_CAMPAIGNS,
        _("Hand the %(count)s ticked tasks to this worker?"),
        fields="control/includes/batch_assign.html",
    )
    empty_text = _("This sweep has no task in your area.")
    export_action = "campaign.export"

    @property
    def campaign(self) -> Campaign:
        return self.context["campaign"]

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"{self.campaign.name} · {_gettext('Tasks')}"

    @property
    def actions(self) -> tuple[BatchAction, ...]:  # type: ignore[override]
        return (self.assign,) if self.campaign.is_open else ()

    count_limit = COUNT_LIMIT  # a task per floating record of the area swept

    def base_queryset(self) -> QuerySet:
        return CampaignTask.objects.filter(campaign=self.campaign).select_related(
            "member", "grid", "record", "assignee", "done_by"
        )

    def job_params(self) -> dict[str, Any]:
        return {"campaign": self.campaign.pk}

    @classmethod
    def from_job_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"campaign": get_scoped_or_404(Campaign, pk=params["campaign"])}
