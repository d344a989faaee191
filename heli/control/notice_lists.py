"""The notices of the daily tasks (lost contact, overdue replies, letters due) for the staff of
the organization responsible (`mobility.notices`): newest first, the unread ones by default,
ticked rows marked read."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from heli.accounts.roles import Right
from heli.control.lists.columns import column, date_column, detail_link
from heli.control.lists.filters import ChoiceFilter
from heli.control.lists.page import BatchAction, ListPage
from heli.control.member_lists import COUNT_LIMIT
from heli.mobility.models import Notice, NoticeKind

UNREAD, READ = "unread", "read"


def _read_q(value: str) -> Q:
    return Q(read_at__isnull=value == UNREAD)


def _read_by(notice: Notice) -> str:
    if notice.read_at is None:
        return ""
    who = notice.read_by.last_name or notice.read_by.username if notice.read_by else ""
    return f"{notice.read_at:%Y-%m-%d} {who}".strip()


class NoticeList(ListPage):
    key = "notices"
    testid = "notice"
    title = _("Notices")
    columns = (
        date_column("created", _("Noticed at"), "created_at", sort="created_at"),
        column("kind", _("Notice"), "get_kind_display", sort="kind"),
        column("member", _("Member"), "record.member.name", sort="record__member__name",
               link=detail_link("control:floating_detail", "record_id")),
        column("org", _("Organization"), "org.name", sort="org__path"),
        date_column("day", _("Counted from"), "day"),
        column("letter", _("Reminder letter number"), "letter_number",
               link=detail_link("control:letter_detail", "letter_id")),
        column("read", _("Read"), _read_by, sort="read_at"),
    )  # fmt: skip
    filters = (
        ChoiceFilter("kind", _("Notice"), NoticeKind.choices, field="kind"),
        ChoiceFilter(
            "read",
            _("Read"),
            [(UNREAD, _("Unread")), (READ, _("Read"))],
            query=_read_q,
            default=UNREAD,
        ),
    )
    default_sort = "-created"
    actions = (
        BatchAction(
            "control:notice_batch_read",
            _("Mark read"),
            Right.EDIT_MEMBERS,
            _("Mark the %(count)s ticked notices read?"),
        ),
    )
    empty_text = _(
        "No notices. Each day heli tells you here who crossed into a contact warning or lost "
        "contact, whose letter's reply is overdue and who is due a letter."
    )
    count_limit = COUNT_LIMIT

    def base_queryset(self) -> QuerySet:
        return Notice.objects.select_related("record__member", "org", "read_by")
