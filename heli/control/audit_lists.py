"""The audit log as a list (审计日志): filtered by action, account, object, outcome and dates,
exported like any list."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from heli.audit.actions import LABELS
from heli.audit.models import AuditEntry
from heli.control.lists.columns import column
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, DateFilter, TextFilter
from heli.control.lists.page import ListPage


def _outcome_cell(entry: AuditEntry):
    if entry.success:
        return format_html('<span class="badge text-bg-success">{}</span>', _gettext("Succeeded"))
    return format_html('<span class="badge text-bg-danger">{}</span>', _gettext("Failed"))


def _detail_text(entry: AuditEntry) -> str:
    return "；".join(f"{key}: {value}" for key, value in entry.detail.items())


def _action_choices():
    return sorted(((key, str(label)) for key, label in LABELS.items()), key=lambda c: c[0])


@exportable
class AuditList(ListPage):
    key = "audit"
    testid = "audit"
    title = _("Audit log")
    columns = (
        column("at", _("Time"), "at", sort="at", css="nowrap"),
        column("user", _("Account"), "username", sort="username"),
        column("action", _("Action"), "action_label", sort="action"),
        column("object", _("Object"), "object_repr"),
        column("detail", _("Detail"), _detail_text, css="small text-muted"),
        column("address", _("Address"), "ip_address"),
        column("success", _("Outcome"),
               lambda e: _gettext("Succeeded") if e.success else _gettext("Failed"),
               html=_outcome_cell),
    )  # fmt: skip
    filters = (
        ChoiceFilter("action", _("Action"), _action_choices, field="action"),
        TextFilter("user", _("Account"), "username"),
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

    def base_queryset(self) -> QuerySet:
        return AuditEntry.objects.all()
