"""The audit log as a list (审计日志): actions as phrases and details as sentences (the audit
app's formatter), filtered by action (every reveal and export first), account, object, outcome
and dates, exported like any list."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from heli.audit import describe
from heli.audit.actions import action_choices, sensitive_actions
from heli.audit.exporters import AuditExporter
from heli.audit.models import AuditEntry
from heli.control.lists.columns import column
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, DateFilter, TextFilter
from heli.control.lists.page import ListPage
from heli.control.member_lists import COUNT_LIMIT
from heli.core.exporters import Exporter

VIEWED = "viewed"  # every reveal and every export at once


def _outcome_cell(entry: AuditEntry):
    if entry.success:
        return format_html('<span class="badge text-bg-success">{}</span>', _gettext("Succeeded"))
    return format_html('<span class="badge text-bg-danger">{}</span>', _gettext("Failed"))


def _action_options() -> list[tuple[str, Any]]:
    return [(VIEWED, _("Every reveal and export")), *action_choices()]


def _action_q(value: str) -> Q:
    return Q(action__in=sensitive_actions()) if value == VIEWED else Q(action=value)


@exportable
class AuditList(ListPage):
    key = "audit"
    testid = "audit"
    title = _("Audit log")
    columns = (
        column("at", _("Time"), "at", sort="at", css="nowrap"),
        # Ties broken by time: the (username | action, at, id) indexes give that order.
        column("user", _("Account"), "username", sort=("username", "at")),
        column("org", _("Organization"), "org_name"),
        column("action", _("Action"), describe.describe, sort=("action", "at")),
        column("object", _("Object"), lambda e: describe.masked(e.object_repr)),
        column("detail", _("Detail"), "detail_text", css="small text-muted"),
        column("address", _("Address"), "ip_address"),
        column("success", _("Outcome"),
               lambda e: _gettext("Succeeded") if e.success else _gettext("Failed"),
               html=_outcome_cell),
    )  # fmt: skip
    filters = (
        ChoiceFilter("action", _("Action"), _action_options, query=_action_q),
        TextFilter("user", _("Account"), "username", lookup="exact"),
        TextFilter("object", _("Object"), "object_repr"),
        ChoiceFilter("success", _("Outcome"), [("1", _("Succeeded")), ("0", _("Failed"))],
                     query=lambda value: Q(success=value == "1")),
        DateFilter("from", _("From"), "at"),
        DateFilter("to", _("To"), "at", end=True),
    )  # fmt: skip
    default_sort = "-at"
    template = "control/audit_log.html"
    empty_text = _("No audit entries yet.")
    export_action = "audit.export"
    # The log grows by every login and change (1,000,000 entries counted took 110 ms at a
    # million members): it counts at most this many rows, read newest first by its indexes.
    count_limit = COUNT_LIMIT

    def base_queryset(self) -> QuerySet:
        return AuditEntry.objects.select_related("user")

    def decorate(self, rows) -> list[Any]:
        # The names the details refer to, fetched once for the page (within the scope).
        return describe.annotate(rows)

    def exporter(self, rows: QuerySet, *, unmasked: bool) -> Exporter:
        return AuditExporter(rows)
