from __future__ import annotations

from datetime import datetime, time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from heli.accounts.roles import Right
from heli.audit.actions import LABELS
from heli.audit.models import AuditEntry
from heli.control.access import paginate, query_without_page, requires


def _day_bound(value: str, end: bool) -> datetime | None:
    day = parse_date(value) if value else None
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@requires(Right.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Read-only view of the audit log, filterable by action, user, outcome and dates."""
    entries = AuditEntry.objects.all()
    params = request.GET
    if params.get("action") in LABELS:
        entries = entries.filter(action=params["action"])
    if params.get("user", "").strip():
        entries = entries.filter(username__icontains=params["user"].strip())
    if params.get("success") in ("1", "0"):
        entries = entries.filter(success=params["success"] == "1")
    if params.get("object", "").strip():
        entries = entries.filter(object_repr__icontains=params["object"].strip())
    start, end = _day_bound(params.get("from", ""), False), _day_bound(params.get("to", ""), True)
    if start:
        entries = entries.filter(at__gte=start)
    if end:
        entries = entries.filter(at__lte=end)
    return render(
        request,
        "control/audit_log.html",
        {
            "page": paginate(request, entries),
            "actions": sorted(LABELS.items(), key=lambda item: item[0]),
            "params": params,
            "query": query_without_page(request),
        },
    )
