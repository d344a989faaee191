"""Creating and changing staff accounts (with their audit entries)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from heli.accounts.models import User
from heli.accounts.roles import assignable_roles
from heli.audit.services import Actor, record
from heli.core import changes

ACCOUNT_FIELDS = ["username", "last_name", "first_name", "phone", "role", "org", "is_active"]


def _check_role(actor: Actor, role: str) -> None:
    if actor.user is not None and role not in assignable_roles(actor.user.role):
        raise PermissionDenied


@transaction.atomic
def create_account(actor: Actor, data: dict[str, Any], password: str) -> User:
    _check_role(actor, data["role"])
    user = User(**{k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record(actor, "account.create", user, detail={"role": user.role, "org": str(user.org)})
    return user


@transaction.atomic
def update_account(
    actor: Actor, user: User, data: dict[str, Any], password: str | None = None
) -> User:
    _check_role(actor, data.get("role", user.role))
    user = User.objects.select_for_update().get(pk=user.pk)
    diff = changes.apply(user, {k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    if password:
        user.set_password(password)
        diff["password"] = ["***", "***"]
    user.save()
    if diff:
        record(actor, "account.update", user, detail=diff)
    return user


def remember_language(user: User, language: str) -> None:
    """Keep the language a staff member picked (a preference of theirs: not audited)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
