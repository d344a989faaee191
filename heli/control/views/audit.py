"""The audit log for auditors and district administrators (see AuditList)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from heli.accounts.roles import Right
from heli.control.access import requires
from heli.control.audit_lists import AuditList
from heli.control.lists.views import respond


@requires(Right.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    return respond(AuditList, request)
