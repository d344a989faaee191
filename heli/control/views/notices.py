"""The notices of the daily tasks, and marking them read (see control.notice_lists)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.lists.views import respond
from heli.control.notice_lists import NoticeList
from heli.control.views.common import back_to_list, post_action
from heli.control.work_lists import parse_ids
from heli.mobility import notices
from heli.mobility.models import Notice


@requires(Right.VIEW)
def notice_list(request: HttpRequest) -> HttpResponse:
    return respond(NoticeList, request)


@requires(Right.EDIT_MEMBERS)
@require_POST
def notice_batch_read(request: HttpRequest) -> HttpResponse:
    """The ticked notices, each through the scope (one outside it: 404), marked read."""
    ids = parse_ids(request.POST.getlist("pick"))
    picked = list(Notice.objects.filter(pk__in=ids)) if ids else []
    if len(picked) != len(ids):
        raise Http404

    def read() -> str:
        count = notices.mark_read(Actor.from_request(request), picked)
        return _("Marked %(count)s notices read.") % {"count": count}

    return post_action(request, read, back_to_list(request, "control:notice_list"))
