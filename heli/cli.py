"""The `heli` console command: Django's management commands with heli's settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# Commands that change the schema or need the owner's privileges. With
# HELI_MIGRATE_DATABASE_URL set (PostgreSQL: the role owning the tables), they connect with it
# instead of HELI_DATABASE_URL (the application's role, which the server and the worker use).
OWNER_COMMANDS = frozenset({"migrate", "db_grant", "flush", "restore"})


def database_environment(argv: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the command `argv` runs with: the owner's database URL for a schema
    command when one is configured, otherwise `environ` unchanged."""
    owner_url = environ.get("HELI_MIGRATE_DATABASE_URL")
    if argv and argv[0] in OWNER_COMMANDS and owner_url:
        return {**environ, "HELI_DATABASE_URL": owner_url}
    return dict(environ)


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv[1:]
    os.environ.update(database_environment(argv, os.environ))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heli.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["heli", *argv])


if __name__ == "__main__":
    main()
