"""`heli demo`: build the demo zone (deterministic from --seed) and print the logins."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heli.core.scoping import Scope, activate
from heli.demo import zone as demo


class Command(BaseCommand):
    help = "Build the demo zone modeled on 常州经开区 and print one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--reset", action="store_true", help="Delete the existing zone first (demo only)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when a zone already exists."
        )

    def handle(self, *args, seed: int, reset: bool, if_empty: bool, **options):
        # The demo's accounts share a published password: never build them elsewhere.
        if not settings.HELI_DEMO:
            raise CommandError("Not the demo: set HELI_DEMO=1 (make demo does) to build it.")
        with activate(Scope.everything()):
            if demo.zone_exists():
                if if_empty:
                    self.stdout.write("演示数据已存在 / the demo zone already exists.")
                    self.print_logins()
                    return
                if not reset:
                    raise CommandError("A zone already exists; use --reset to rebuild it.")
                demo.clear_zone()
            built = demo.build_zone(seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo zone built: {len(built.regions)} regions ({len(built.grids)} grids), "
                f"{len(built.orgs)} party organizations, {len(built.stations)} stations, "
                f"{built.members} party members."
            )
        )
        self.print_logins()

    def print_logins(self) -> None:
        from heli.accounts.models import User

        self.stdout.write(f"\n登录账号 / logins (password for all: {demo.DEMO_PASSWORD})")
        for user in User.objects.filter(org__isnull=False).select_related("org").order_by("id"):
            self.stdout.write(f"  {user.username:<10} {user.get_role_display()}  · {user.org}")
        if settings.HELI_2FA_REQUIRED:
            self.stdout.write(
                "两步验证 / two-step verification: HELI_2FA_REQUIRED=1 — district and town "
                "administrators and every role that sees full numbers set up an authenticator "
                "app at their first login."
            )
        else:
            self.stdout.write(
                "两步验证 / two-step verification: not required in the demo "
                "(HELI_2FA_REQUIRED=0), so these logins work at once; anyone may turn it on "
                "under 两步验证 at the top of the page."
            )
