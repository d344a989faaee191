"""Writing the audit log. Every service function that changes data calls `record`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest

from heli.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: a logged-in user from a request, or the system."""

    user: Any | None
    ip_address: str | None = None
    label: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip_address=client_address(request))

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, label=label)

    @property
    def username(self) -> str:
        return self.user.get_username() if self.user is not None else self.label

    @property
    def org_path(self) -> str:
        org = getattr(self.user, "org", None)
        return org.path if org is not None else ""


def client_address(request: HttpRequest) -> str | None:
    # Only REMOTE_ADDR: heli does not trust forwarded headers unless a proxy sets REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    success: bool = True,
    detail: dict | None = None,
    username: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        user=actor.user,
        username=username if username is not None else actor.username,
        org_path=actor.org_path,
        action=action,
        ip_address=actor.ip_address,
        success=success,
        detail=detail or {},
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:255]
    entry.save()
    return entry
