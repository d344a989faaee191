"""归队行动 for staff: the list of sweeps, opening one (with the number of tasks it will make),
its progress per town and grid, the task list of a worker, deciding a task, reassigning it,
closing the sweep and its report (page and spreadsheet).

Every figure is counted over `CampaignTask.objects`, the scoped manager: a grid worker sees
the district's sweep through their grid and counts only their grid's tasks.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.models import User
from heli.accounts.roles import Right, Role, rights_of
from heli.audit.services import Actor
from heli.campaigns import services
from heli.campaigns.models import Campaign, CampaignTask, Outcome
from heli.control.access import requires
from heli.control.campaign_forms import AssignForm, CampaignForm, DecideForm
from heli.control.campaign_lists import CampaignList, TaskList
from heli.control.lists.views import respond
from heli.control.views.common import add_errors, attachment, post_action
from heli.control.work_lists import parse_ids
from heli.core.exporters import SheetInfo
from heli.core.nostore import no_store
from heli.core.params import to_id
from heli.core.replica import reads_replica
from heli.core.scoping import current_scope, get_scoped_or_404
from heli.mobility import clock
from heli.orgs.models import OrgCategory
from heli.reports import campaign_export as exporters
from heli.reports import campaigns as stats

GRIDS_PER_PAGE = 50


def _tasks():
    """Tasks in the request's scope, with what the pages show (built per request: the scoped
    manager reads the active scope)."""
    return CampaignTask.objects.select_related("member", "grid", "record", "assignee", "done_by")


def _tasks_of(campaign: Campaign):
    return _tasks().filter(campaign=campaign)


@requires(Right.VIEW)
def campaign_list(request: HttpRequest) -> HttpResponse:
    return respond(CampaignList, request)


@requires(Right.OPEN_CAMPAIGNS)
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Two steps: the form, then what the sweep will create (tasks, lost members), confirmed."""
    form = CampaignForm(request.POST or None)
    sweep = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "1":
            try:
                campaign = services.open_campaign(Actor.from_request(request), **data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Opened “%(name)s”.") % {"name": campaign.name})
                return redirect("control:campaign_detail", pk=campaign.pk)
        else:
            try:
                services.check_no_overlap(data["region"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                sweep = services.plan(data["region"])
    return render(request, "control/campaign_create.html", {"form": form, "sweep": sweep})


def _figures(campaign: Campaign) -> dict:
    tasks = CampaignTask.objects.filter(campaign=campaign)
    figures = stats.summary(tasks)
    done, total, outcomes = figures.done, figures.total, figures.outcomes
    grids = stats.by_grid(tasks)
    towns = stats.by_town(grids)
    today = timezone.localdate()
    return {
        "done": done,
        "total": total,
        "percent": stats.percent(done, total),
        "outcomes": outcomes,
        "outcome_rows": [(o.value, o.label, outcomes[o.value]) for o in Outcome],
        "outcome_labels": Outcome.labels,
        "grids": grids,
        "towns": towns,
        "finished": stats.finished_grids(grids),
        "lost": figures.lost,
        "lost_pending": figures.lost_pending,
        "lost_located": figures.lost_located,
        "overdue": total - done if campaign.is_open and today > campaign.due_on else 0,
    }


@requires(Right.VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(Campaign.objects.select_related("region", "opened_by"), pk=pk)
    figures = _figures(campaign)
    rows = figures["towns"] if len(figures["towns"]) > 1 else figures["grids"]
    show = request.GET.get("grids", "")
    shown = figures["grids"]
    if show in ("finished", "unfinished"):
        shown = [row for row in shown if row.finished == (show == "finished")]
    mine = CampaignTask.objects.filter(
        campaign=campaign, assignee=request.user, outcome=Outcome.PENDING
    ).count()
    return render(
        request,
        "control/campaign_detail.html",
        {
            "campaign": campaign,
            **figures,
            "mine": mine,
            "grid_page": Paginator(shown, GRIDS_PER_PAGE).get_page(request.GET.get("page")),
            "grid_query": f"grids={show}" if show else "",
            "show": show,
            "can_close": campaign.is_open and _manages(request, campaign),
            "chart": stats.chart_data(rows),
            "chart_height": min(900, max(220, 80 + 30 * len(rows))),
        },
    )


def _manages(request: HttpRequest, campaign: Campaign) -> bool:
    return request.user.can(Right.OPEN_CAMPAIGNS) and (
        Campaign.objects.filter(Campaign.managed_q(current_scope()), pk=campaign.pk).exists()
    )


@requires(Right.VIEW)
def campaign_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(Campaign.objects.select_related("region"), pk=pk)
    return respond(
        TaskList,
        request,
        {"campaign": campaign},
        campaign=campaign,
        assignees=_workers() if request.user.can(Right.OPEN_CAMPAIGNS) else [],
    )


def _workers():
    """Accounts a manager may hand tasks to: those in the manager's subtree with the right to
    edit members, bound to an organization of a place (the service checks each task's grid)."""
    roles = [role for role in Role.values if Right.EDIT_MEMBERS in rights_of(role)]
    return (
        User.in_scope.filter(is_active=True, role__in=roles, org__category=OrgCategory.REGIONAL)
        .select_related("org")
        .order_by("org__path", "username")
    )


@requires(Right.OPEN_CAMPAIGNS)
@require_POST
def campaign_task_batch_assign(request: HttpRequest) -> HttpResponse:
    """Hand the ticked tasks to one worker (tasks and worker fetched through the scope)."""
    ids = parse_ids(request.POST.getlist("pick"))
    tasks = list(_tasks().filter(current_scope().region_q("grid__path"), pk__in=ids))
    if len(tasks) != len(ids):
        raise Http404
    worker_id = to_id(request.POST.get("assignee"))
    worker = _workers().filter(pk=worker_id).first() if worker_id else None

    def assign() -> str:
        if worker is None:
            raise ValidationError(_("Choose the worker to hand the tasks to."))
        count = services.reassign_all(Actor.from_request(request), tasks, worker)
        return _("Handed %(count)s tasks to %(name)s.") % {
            "count": count,
            "name": worker.display_name,
        }

    back = (
        redirect("control:campaign_tasks", pk=tasks[0].campaign_id)
        if tasks
        else redirect("control:campaign_list")
    )
    return post_action(request, assign, back)


def _task_page(request: HttpRequest, task: CampaignTask, form=None, status=200) -> HttpResponse:
    can_assign = (
        task.is_pending
        and task.campaign.is_open
        and request.user.can(Right.OPEN_CAMPAIGNS)
        and CampaignTask.objects.filter(current_scope().region_q("grid__path"), pk=task.pk).exists()
    )
    assign_form = AssignForm(users=_assignable(task)) if can_assign else None
    return render(
        request,
        "control/campaign_task.html",
        {
            "task": task,
            "campaign": task.campaign,
            "form": form or DecideForm(initial={"returned_on": timezone.localdate()}),
            "assign_form": assign_form,
            "events": task.events.all(),
            "outcomes": Outcome.choices,
            "state": clock.state_of(task.record) if task.record.status == "active" else None,
            "days": clock.days_without_contact(task.record),
        },
        status=status,
    )


def _assignable(task: CampaignTask):
    """Accounts the task may go to, among those the current user manages."""
    return services.assignable_users(task).filter(User.scope_q(current_scope()))


def _task(pk: int, queryset=None) -> CampaignTask:
    source = (_tasks() if queryset is None else queryset).select_related(
        "campaign", "campaign__region"
    )
    return get_scoped_or_404(source, pk=pk)


@requires(Right.VIEW)
def campaign_task(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _task(pk))


def _next_task(task: CampaignTask, user) -> CampaignTask | None:
    """The worker's next pending task in the same campaign, to keep the sweep moving."""
    pending = CampaignTask.objects.filter(campaign_id=task.campaign_id, outcome=Outcome.PENDING)
    return pending.filter(assignee=user).first() or pending.filter(grid_id=task.grid_id).first()


@requires(Right.EDIT_MEMBERS)
@require_POST
def campaign_task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(pk)
    form = DecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(Actor.from_request(request), task, data["outcome"], data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Recorded “%(outcome)s” for %(name)s.")
                % {"outcome": Outcome(data["outcome"]).label, "name": task.member.name},
            )
            following = _next_task(task, request.user)
            if following is not None:
                return redirect("control:campaign_task", pk=following.pk)
            return redirect("control:campaign_tasks", pk=task.campaign_id)
    task.refresh_from_db()
    return _task_page(request, task, form)


@requires(Right.OPEN_CAMPAIGNS)
@require_POST
def campaign_task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Town or district admins hand a task to another worker of the grid."""
    task = _task(pk, _tasks().filter(current_scope().region_q("grid__path")))
    form = AssignForm(request.POST, users=_assignable(task))
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose an account to hand the task to."))
        services.reassign(Actor.from_request(request), task, form.cleaned_data["assignee"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The task was handed over."))
    return redirect("control:campaign_task", pk=task.pk)


@requires(Right.OPEN_CAMPAIGNS)
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(
        Campaign.objects.filter(Campaign.managed_q(current_scope())), pk=pk
    )
    try:
        services.close(
            Actor.from_request(request),
            campaign,
            unfinished_confirmed=request.POST.get("confirm_unfinished") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("control:campaign_detail", pk=campaign.pk)
    messages.success(request, _("Closed “%(name)s”.") % {"name": campaign.name})
    return redirect("control:campaign_report", pk=campaign.pk)


@requires(Right.VIEW)
@reads_replica
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(
        Campaign.objects.select_related("region", "opened_by", "closed_by"), pk=pk
    )
    tasks = _tasks_of(campaign)
    return render(
        request,
        "control/campaign_report.html",
        {
            "campaign": campaign,
            **_figures(campaign),
            "located_lost": tasks.filter(was_lost=True, outcome=Outcome.LOCATED),
            "unreachable": tasks.filter(outcome=Outcome.UNREACHABLE),
            "unfinished": tasks.filter(outcome=Outcome.PENDING),
            "today": timezone.localdate(),
        },
    )


@requires(Right.VIEW)
@no_store
@reads_replica
def campaign_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(Campaign.objects.select_related("region"), pk=pk)
    tasks = CampaignTask.objects.filter(campaign=campaign)
    today = timezone.localdate().isoformat()
    org = request.user.org
    title = _("%(campaign)s: report") % {"campaign": campaign.name}
    info = SheetInfo(
        title,
        (
            _("Organization: %(org)s") % {"org": org.name},
            _("Area swept: %(area)s; due on %(due)s")
            % {"area": campaign.region.name, "due": campaign.due_on.isoformat()},
            _("Date: %(date)s · by %(name)s") % {"date": today, "name": request.user.display_name},
        ),
    )
    body = exporters.export_xlsx(Actor.from_request(request), campaign, tasks, info)
    return attachment(body, f"{org.name}_{campaign.name}_{today}.xlsx")
