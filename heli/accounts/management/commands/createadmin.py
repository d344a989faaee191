"""`heli createadmin USERNAME --role ROLE --name 姓名`: an account of one of the three
administrators (三权分立), made on the server.

On the pages only the security administrator hands out these roles, so the first ones (after
an install or an upgrade, when nobody holds them yet) come from here. The account is bound to
the zone's top organization unless `--org` names another; it must choose its own password at
the first login. The password is read from HELI_ADMIN_PASSWORD or asked twice, never from the
command line (where the process list would show it). Audited as account.create by
"createadmin"; the same person is refused a second of the three roles as on the pages.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from heli.accounts import services
from heli.accounts.roles import ADMIN_ROLES
from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.orgs.models import OrgCategory, PartyOrg

PASSWORD_VARIABLE = "HELI_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = "Create a system, security or audit administrator's account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ADMIN_ROLES)
        parser.add_argument("--name", required=True, help="the person's whole name (姓名)")
        parser.add_argument("--phone", default="")
        parser.add_argument("--org", help="organization name (default: the zone's top one)")

    def handle(self, *args, username: str, role: str, name: str, phone: str, org, **options):
        with activate(Scope.everything()):
            organization = self._org(org)
            data = {"username": username, "last_name": name, "phone": phone, "role": role,
                    "org": organization, "is_active": True}  # fmt: skip
            password = self._password()
            try:
                password_validation.validate_password(password)
                user = services.create_account(Actor.system("createadmin"), data, password)
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"{user.username}: {user.get_role_display()} · {organization.name}")

    def _org(self, name: str | None) -> PartyOrg:
        orgs = PartyOrg.objects.exclude(category=OrgCategory.EXTERNAL)
        found = list(orgs.filter(name=name) if name else orgs.filter(parent__isnull=True))
        if len(found) != 1:
            raise CommandError(f"name one organization with --org ({len(found)} found)")
        return found[0]

    def _password(self) -> str:
        if os.environ.get(PASSWORD_VARIABLE):
            return os.environ[PASSWORD_VARIABLE]
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
