"""`heli db_grant --role heli_app`: run as the owner (HELI_MIGRATE_DATABASE_URL) after every
`heli migrate`; see heli.core.dbroles."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from heli.core.dbroles import GrantError, grant


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the application's role exactly the privileges heli needs "
        "(run as the tables' owner after every migrate)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", required=True, help="the role the application connects as")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, role: str, database: str, **options) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("db_grant is for PostgreSQL: SQLite has no roles")
        try:
            with transaction.atomic(using=database):
                statements = grant(connection, role)
        except GrantError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 1:
            self.stdout.write(";\n".join(statements) + ";")
        self.stdout.write(f"Granted {role} the application's privileges.")
