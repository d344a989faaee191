"""`heli bench world`: empty the configured bench database, migrate it, build the province
(heli.bench.province) and check it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from heli.core.scoping import Scope, activate


def bench_database() -> str:
    """The configured database's name (a path on SQLite), refused unless it says 'bench'."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise CommandError(
            f"refusing to build into {name!r}: its name must contain 'bench' (it is emptied). "
            "Point HELI_DATABASE_URL at one, e.g. sqlite:////path/var/bench.sqlite3 or "
            "postgres://heli:heli@127.0.0.1:5432/heli_bench"
        )
    return name


def empty_database(name: str) -> None:
    if connection.vendor == "postgresql":
        from heli.bench.world import reset_database

        reset_database()
        return
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(name + suffix).unlink(missing_ok=True)


def build_world(members: int, audit: int | None, say: Callable[[str], None]) -> None:
    from heli.bench import province

    if members < 100:
        raise CommandError("--members must be at least 100")
    name = bench_database()
    started = time.perf_counter()
    empty_database(name)
    call_command("migrate", interactive=False, verbosity=0)
    say(f"migrated {connection.vendor} database {name} ({time.perf_counter() - started:.1f} s)")
    with activate(Scope.everything()):
        built = province.build(members, members if audit is None else audit, say)
        total = time.perf_counter() - started
        size = built.size
        say(
            f"built {size.members:,} members in {size.towns} towns, {size.villages} villages, "
            f"{size.grids} grids in {total:.0f} s on {connection.vendor}"
        )
        problems = province.check(say)
    if problems:
        raise CommandError("the zone breaks an invariant: " + "; ".join(problems))
    say(
        "invariants hold. Logins for the pages: "
        + ", ".join(u.username for u in built.places.users.values())
    )
