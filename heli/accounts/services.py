"""Creating and changing staff accounts (with their audit entries)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from heli.accounts import locks
from heli.accounts.models import User
from heli.accounts.passwords import PASSWORD_FIELDS, apply_password
from heli.accounts.roles import (
    ADMIN_ROLES,
    Right,
    Role,
    assignable_roles,
    assigns_role_of,
    bound_below,
    lifts_every_lock,
    manages,
    require,
    rights_of,
)
from heli.audit.services import Actor, record
from heli.core import changes
from heli.core.tree import ancestor_paths
from heli.orgs.models import PartyOrg

ACCOUNT_FIELDS = ["username", "last_name", "phone", "role", "org", "is_active"]


def acting_for(orgs: Iterable[PartyOrg | None]) -> models.QuerySet[User]:
    """Active accounts that may act for the members of these organizations (a liaison, an
    owner of a duty): a role with the right to edit members, bound to one of the organizations
    or to one above it (a town's administrator acts for the town's branches).

    Read through the plain manager on purpose: the organizations above the user's own lie
    outside their scope, yet their people may take the job; only names are shown."""
    paths = {path for org in orgs if org is not None for path in ancestor_paths(org.path)}
    roles = [role for role in Role.values if Right.EDIT_MEMBERS in rights_of(role)]
    return (
        User.objects.filter(is_active=True, role__in=roles, org__path__in=paths)
        .select_related("org")
        .order_by("org__path", "last_name", "first_name", "pk")
    )


def _check_role(actor: Actor, right: Right, role: str) -> None:
    require(actor.user, right)
    if actor.user is not None and role not in assignable_roles(actor.user):
        raise PermissionDenied


def _check_manages(actor: Actor, user: User) -> None:
    """See roles.manages: never an administrator's account, nor one's own."""
    if actor.user is not None and not manages(actor.user, user):
        raise PermissionDenied


def same_person_q(user: User) -> models.Q:
    """Accounts of the same person as `user`, as heli decides it simply: the same 姓名, and
    the same phone where both accounts have one (two people of one name keep their phones
    apart)."""
    same = models.Q(last_name=user.last_name.strip())
    if user.phone:
        same &= models.Q(phone="") | models.Q(phone=user.phone)
    return same


def _check_one_power(user: User) -> None:
    """三权分立: no person holds two of the three administrator roles; an active account of
    the same person holding another of the three refuses this one."""
    if user.role not in ADMIN_ROLES:
        return
    if not user.last_name.strip():
        raise ValidationError(
            _("An administrator's account needs the person's name."), code="one_power"
        )
    others = User.objects.filter(same_person_q(user), is_active=True, role__in=ADMIN_ROLES)
    held = others.exclude(pk=user.pk).exclude(role=user.role).first()
    if held is not None:
        raise ValidationError(
            _("%(name)s already holds the role %(role)s: no person holds two of the three.")
            % {"name": user.last_name.strip(), "role": held.get_role_display()},
            code="one_power",
        )


def _check_not_oneself(actor: Actor, user: User) -> None:
    """Nobody gives themselves a role, through a second account of theirs either."""
    if actor.user is None:
        return
    if actor.user.pk == user.pk:
        raise PermissionDenied
    if User.objects.filter(same_person_q(user), pk=actor.user.pk).exists():
        raise ValidationError(
            _("%(name)s is you (the same name and phone): nobody gives themselves a role.")
            % {"name": user.display_name},
            code="oneself",
        )


@transaction.atomic
def create_account(actor: Actor, data: dict[str, Any], password: str) -> User:
    """A system administrator's new account, with a work role or none (an administrator's
    role comes from the security administrator: set_role), inside their subtree."""
    _check_role(actor, Right.MANAGE_ACCOUNTS, data.get("role", ""))
    user = User(**{k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    _check_manages(actor, user)
    apply_password(user, password, must_change=True)  # the person chooses their own
    user.full_clean(exclude=["password"])
    _check_one_power(user)
    user.save()
    record(actor, "account.create", user, detail={"role": user.role, "org": str(user.org)})
    return user


@transaction.atomic
def update_account(actor: Actor, user: User, data: dict[str, Any]) -> User:
    """Change an account's name, work role, organization or whether it may log in (never its
    password: see set_password). Only an account the actor manages (roles.manages), and it
    stays one they manage (not moved out of their subtree)."""
    _check_role(actor, Right.MANAGE_ACCOUNTS, data.get("role", user.role))
    _check_manages(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    diff = changes.apply(user, {k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    _check_manages(actor, user)
    user.save()
    if diff:
        record(actor, "account.update", user, detail=diff)
    return user


@transaction.atomic
def set_role(actor: Actor, user: User, role: str) -> User:
    """The security administrator gives an account a role (one of the three administrators'
    too) or takes it away (NO_ROLE), audited as account.role: any account bound inside their
    subtree but their own, and never a second of the three to one person."""
    _check_role(actor, Right.ASSIGN_ROLES, role)
    if actor.user is not None and not assigns_role_of(actor.user, user):
        raise PermissionDenied
    _check_not_oneself(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = user.role
    user.role = role
    _check_one_power(user)
    user.save(update_fields=["role"])
    if before != role:
        record(actor, "account.role", user, detail={"role": [before, role]})
    return user


@transaction.atomic
def set_password(actor: Actor, user: User, password: str) -> User:
    """A system administrator gives an account a new password (a forgotten one, say); audited
    on its own, without the password. Only an account they manage (roles.manages: inside
    their subtree, not an administrator's, not their own: PermissionDenied, a 403). The
    person must change it at their next login (heli.accounts.passwords)."""
    require(actor.user, Right.MANAGE_ACCOUNTS)
    _check_manages(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    apply_password(user, password, must_change=True)
    user.save(update_fields=PASSWORD_FIELDS)
    record(actor, "account.password", user)
    return user


@transaction.atomic
def change_own_password(actor: Actor, old: str, new: str) -> User:
    """A staff member replaces their own password (the old one checked again here, not only
    by the form); audited as account.password_change, without either password. Lifts the
    change an administrator's password or expiry required."""
    if actor.user is None:
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=actor.user.pk)
    if not user.check_password(old):
        raise PermissionDenied
    apply_password(user, new, must_change=False)
    user.save(update_fields=PASSWORD_FIELDS)
    record(actor, "account.password_change", user)
    return user


@transaction.atomic
def unlock(
    actor: Actor, *, user: User | None = None, username: str = "", address: str | None = None
) -> int:
    """Lift a login lock before it runs out (heli.accounts.locks), audited as account.unlock:
    an account's lock at `address` (at every address when None); a username that is no
    account, at `address`; or, with neither, the throttle of `address` (every failure from
    it). Returns the number of failure records forgotten."""
    require(actor.user, Right.LIFT_LOCKS)
    if user is not None:
        if actor.user is not None and not bound_below(actor.user, user):
            raise PermissionDenied
        username = user.username
    elif actor.user is not None and not lifts_every_lock(actor.user):
        raise PermissionDenied
    if not username and not address:
        raise ValueError("an unlock names a username or an address")
    lifted = locks.lift(username=username or None, address=address)
    detail = {"username": username} if username else {}
    detail |= {"address": address} if address else {}
    detail["kind"] = locks.PAIR if username else locks.ADDRESS
    record(actor, "account.unlock", user, detail=detail)
    return lifted


def remember_language(user: User, language: str) -> None:
    """Keep the language a staff member picked (a preference of theirs: not audited)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
