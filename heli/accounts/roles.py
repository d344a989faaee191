"""Roles of staff users and what each may do. The one table of rights in heli."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.tree import in_subtree


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    TOWN_ADMIN = "town_admin", _("Town administrator")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    GRID_WORKER = "grid_worker", _("Grid worker / liaison officer")
    SERVICE_STAFF = "service_staff", _("Service-centre staff")
    DEPARTMENT_LIAISON = "department_liaison", _("Department liaison")
    AUDITOR = "auditor", _("Read-only auditor")


class Right(StrEnum):
    VIEW = "view"
    EDIT_STRUCTURE = "edit_structure"  # regions and party organizations
    EDIT_STATIONS = "edit_stations"
    EDIT_EXTERNAL = "edit_external"  # the shared directory of organizations outside the zone
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_AUDIT = "view_audit"
    EDIT_MEMBERS = "edit_members"
    VIEW_SENSITIVE = "view_sensitive"  # ID numbers and phones in full (each view audited)
    RESTORE_MEMBERS = "restore_members"
    OPEN_CAMPAIGNS = "open_campaigns"  # 归队行动: open and close sweeps over one's subtree
    APPROVE_TRANSFERS = "approve_transfers"  # 组织关系转接: approve, issue, accept, return


RIGHTS: dict[str, frozenset[Right]] = {
    Role.DISTRICT_ADMIN: frozenset(Right),
    Role.TOWN_ADMIN: frozenset(
        {
            Right.VIEW,
            Right.EDIT_STRUCTURE,
            Right.EDIT_STATIONS,
            Right.MANAGE_ACCOUNTS,
            Right.EDIT_MEMBERS,
            Right.VIEW_SENSITIVE,
            Right.OPEN_CAMPAIGNS,
            Right.APPROVE_TRANSFERS,
        }
    ),
    Role.BRANCH_SECRETARY: frozenset(
        {
            Right.VIEW,
            Right.EDIT_STATIONS,
            Right.EDIT_MEMBERS,
            Right.VIEW_SENSITIVE,
            Right.APPROVE_TRANSFERS,
        }
    ),
    Role.GRID_WORKER: frozenset({Right.VIEW, Right.EDIT_MEMBERS}),
    Role.SERVICE_STAFF: frozenset({Right.VIEW, Right.EDIT_STATIONS}),
    Role.DEPARTMENT_LIAISON: frozenset({Right.VIEW}),
    Role.AUDITOR: frozenset({Right.VIEW, Right.VIEW_AUDIT}),
}


def rights_of(role: str) -> frozenset[Right]:
    return RIGHTS.get(role, frozenset())


def require(user: Any | None, right: Right) -> None:
    """The check every service function that changes data makes of its acting user, whoever
    calls it (a view checks too, for its 403 before any work). `None` is the system (commands,
    the worker, public QR pages), which acts by the rules of the function that calls it."""
    if user is not None and not user.can(right):
        raise PermissionDenied


def requires_second_factor(role: str) -> bool:
    """Whether accounts of this role must log in with a second factor (TOTP) when
    HELI_2FA_REQUIRED is on: the district and town administrators, and every role that can
    reveal or export unmasked personal data. Other roles may enrol by choice."""
    return role in (Role.DISTRICT_ADMIN, Role.TOWN_ADMIN) or Right.VIEW_SENSITIVE in rights_of(role)


def manages(manager: Any, account: Any) -> bool:
    """Whether `manager` may set `account`'s password or change it: a district administrator
    any account; another account manager only one bound inside their organization's subtree
    and holding a role below their own (never a peer of the same role, nor themselves)."""
    if not manager.can(Right.MANAGE_ACCOUNTS):
        return False
    if manager.role == Role.DISTRICT_ADMIN:
        return True
    return (
        account.role != manager.role
        and account.role in assignable_roles(manager.role)
        and account.org is not None
        and in_subtree(account.org.path, manager.org.path)
    )


def assignable_roles(role: str) -> list[str]:
    """Roles an account manager may hand out: never one above their own."""
    if role == Role.DISTRICT_ADMIN:
        return list(Role.values)
    if role == Role.TOWN_ADMIN:
        return [r for r in Role.values if r not in (Role.DISTRICT_ADMIN, Role.AUDITOR)]
    return []


def manages_every_account(user: Any) -> bool:
    """An account manager bound to the zone's top organization (the district). Login locks of
    no known account (a guessed username, an address trying many) concern the whole zone, so
    only such a manager sees and lifts them."""
    org = getattr(user, "org", None)
    return (
        Right.MANAGE_ACCOUNTS in rights_of(getattr(user, "role", ""))
        and org is not None
        and org.parent_id is None
        and not org.is_external
    )
