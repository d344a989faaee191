"""Staff accounts, each bound to one party organization with one role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from heli.accounts.roles import Right, Role, rights_of
from heli.core.scoping import Scope, ScopedManager
from heli.orgs.models import PartyOrg


class ScopedUserManager(ScopedManager, UserManager):
    pass


class User(AbstractUser):
    # 姓名: a person's whole name in one field, family name first, as Chinese names are
    # written and as staff type them; kept in AbstractUser's last_name column (the demo and
    # the first accounts already held whole names there). first_name stays empty.
    last_name = models.CharField(pgettext_lazy("person", "name"), max_length=150, blank=True)
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The language this person picked in the switch; empty: Chinese (heli.accounts.language).
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Password rules (heli.accounts.passwords): when the password was last set, for expiry
    # (accounts that existed before the field got the day of the migration, so nobody is
    # forced to change on the day of an upgrade); whether an administrator set it, so that
    # the person must choose their own at the next login; the hashes of the previous ones
    # (newest last, never the passwords), so that the last HELI_PASSWORD_HISTORY are refused.
    password_changed_at = models.DateTimeField(_("password set at"), default=timezone.now)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_history = models.JSONField(_("previous passwords"), default=list, blank=True)

    # Authentication must find any account by name, so the default manager is the plain one;
    # staff pages list accounts only through `in_scope`.
    objects = UserManager()
    in_scope = ScopedUserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The person's name (姓名); the user name only for an account that has none."""
        return self.last_name.strip() or self.username

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.org_q("org__path")

    def scope(self) -> Scope:
        """The subtrees this user sees: their organization's, and the region it governs."""
        if not self.is_active or self.org_id is None or not self.role:
            return Scope.nothing()
        org = self.org
        region_path = org.region.path if org.governs_region else None
        return Scope(org_path=org.path, region_path=region_path)

    @property
    def rights(self) -> frozenset[Right]:
        if not self.is_active or self.org_id is None:
            return frozenset()
        return rights_of(self.role)

    def can(self, right: Right) -> bool:
        return right in self.rights
