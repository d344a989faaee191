"""Roles of staff users and what each may do. The one table of rights in heli.

三权分立 (separation of the three powers, 等保 level 3): the accounts are the system
administrator's, the roles and the login locks the security administrator's, the audit log the
audit administrator's; none of the three sees member data, and no work role (the district's
included) holds any of their rights. See docs/roles.md."""

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
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


class Right(StrEnum):
    VIEW = "view"
    EDIT_STRUCTURE = "edit_structure"  # regions and party organizations
    EDIT_STATIONS = "edit_stations"
    EDIT_EXTERNAL = "edit_external"  # the shared directory of organizations outside the zone
    MANAGE_ACCOUNTS = "manage_accounts"  # create, disable, reset passwords of work accounts
    ASSIGN_ROLES = "assign_roles"  # any account's role, the three administrators' included
    LIFT_LOCKS = "lift_locks"  # the login locks page
    VIEW_AUDIT = "view_audit"
    EDIT_MEMBERS = "edit_members"
    VIEW_SENSITIVE = "view_sensitive"  # ID numbers and phones in full (each view audited)
    RESTORE_MEMBERS = "restore_members"
    OPEN_CAMPAIGNS = "open_campaigns"  # 归队行动: open and close sweeps over one's subtree
    APPROVE_TRANSFERS = "approve_transfers"  # 组织关系转接: approve, issue, accept, return


# The three administrators' rights: no work role holds any of them.
ADMIN_RIGHTS = frozenset({Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES, Right.LIFT_LOCKS})
ADMIN_ROLES: tuple[str, ...] = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
# Roles that log in with a second factor whatever their rights (requires_second_factor).
SECOND_FACTOR_ROLES: tuple[str, ...] = (Role.DISTRICT_ADMIN, Role.TOWN_ADMIN, *ADMIN_ROLES)
WORK_ROLES: tuple[str, ...] = tuple(r for r in Role.values if r not in ADMIN_ROLES)
# Roles whose rights reach beyond their own subtree (the shared directory, deleted members) or
# that read the whole zone's log: handed out only by an administrator at the zone's top.
ZONE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.AUDITOR})
NO_ROLE = ""  # an account without a role sees nothing (until the security admin gives one)

RIGHTS: dict[str, frozenset[Right]] = {
    # The district keeps every work right and the audit log (which is how somebody besides the
    # audit administrator reads what the audit administrator did), no administrator's right.
    Role.DISTRICT_ADMIN: frozenset(Right) - ADMIN_RIGHTS,
    Role.TOWN_ADMIN: frozenset(
        {
            Right.VIEW,
            Right.EDIT_STRUCTURE,
            Right.EDIT_STATIONS,
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
    Role.SYSTEM_ADMIN: frozenset({Right.MANAGE_ACCOUNTS}),
    Role.SECURITY_ADMIN: frozenset({Right.ASSIGN_ROLES, Right.LIFT_LOCKS}),
    Role.AUDIT_ADMIN: frozenset({Right.VIEW_AUDIT}),
}


def rights_of(role: str) -> frozenset[Right]:
    return RIGHTS.get(role, frozenset())


def require(user: Any | None, right: Right) -> None:
    """The check every service function that changes data makes of its acting user, whoever
    calls it (a view checks too, for its 403 before any work). `None` is the system (commands,
    the worker, public QR pages), which acts by the rules of the function that calls it."""
    if user is not None and not user.can(right):
        raise PermissionDenied


def at_top(user: Any) -> bool:
    """Bound to the zone's top organization (the district's, not the outside directory)."""
    org = getattr(user, "org", None)
    return org is not None and org.parent_id is None and not org.is_external


def requires_second_factor(role: str) -> bool:
    """Whether accounts of this role must log in with a second factor (TOTP) when
    HELI_2FA_REQUIRED is on: the district and town administrators, and every role that can
    reveal or export unmasked personal data, and the three administrators (三权分立), who hold
    the accounts, the rights and the audit log. Other roles may enrol by choice."""
    return role in SECOND_FACTOR_ROLES or Right.VIEW_SENSITIVE in rights_of(role)


def manages(manager: Any, account: Any) -> bool:
    """Whether the system administrator `manager` may change `account` or set its password:
    an account bound inside the manager's organization subtree that holds a work role or
    none, never one of the three administrators (theirs is the security administrator's
    business, and a system administrator setting their password could act as them) and never
    the manager's own (their own password: 修改密码)."""
    return (
        manager.can(Right.MANAGE_ACCOUNTS)
        and account.pk != manager.pk
        and account.role not in ADMIN_ROLES
        and bound_below(manager, account)
    )


def assigns_role_of(manager: Any, account: Any) -> bool:
    """Whether the security administrator `manager` may change `account`'s role: any account
    bound inside their subtree but their own (nobody gives themselves a role)."""
    return (
        manager.can(Right.ASSIGN_ROLES)
        and account.pk != manager.pk
        and bound_below(manager, account)
    )


def bound_below(manager: Any, account: Any) -> bool:
    """`account` is bound inside `manager`'s organization subtree."""
    return (
        account.org is not None
        and manager.org is not None
        and in_subtree(account.org.path, manager.org.path)
    )


def assignable_roles(user: Any) -> list[str]:
    """Roles `user` may hand out, NO_ROLE first: the security administrator any, the system
    administrator the work roles only; below the zone's top never a zone-wide one."""
    if user.can(Right.ASSIGN_ROLES):
        roles = list(Role.values)
    elif user.can(Right.MANAGE_ACCOUNTS):
        roles = list(WORK_ROLES)
    else:
        return []
    if not at_top(user):
        roles = [r for r in roles if r not in ZONE_ROLES]
    return [NO_ROLE, *roles]


def lifts_every_lock(user: Any) -> bool:
    """A lock lifter bound to the zone's top organization. Login locks of no known account (a
    guessed username, an address trying many) concern the whole zone, so only they see and
    lift them."""
    return Right.LIFT_LOCKS in rights_of(getattr(user, "role", "")) and at_top(user)
