"""CPU time the server spends per request, read from /proc (Linux; elsewhere nothing).

Throughput on a shared machine moves with whatever else runs there; the CPU seconds the
gunicorn workers (and, on PostgreSQL, the database's backends serving them) spend per request
do not, much. `heli bench checkin` prints both: the verdict is on throughput, as the target is
stated, and the CPU ratio says what a quiet machine would show.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to `database` (their process titles name it)."""
    found = []
    for entry in PROC.glob("[0-9]*"):
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive."""
    seconds = {}
    for pid in pids:
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


class Meter:
    """CPU seconds spent by a server's processes between `start()` and `stop()`."""

    def __init__(self, master: int, database: str | None = None):
        self.master, self.database = master, database
        self.before: dict[int, float] = {}

    def pids(self) -> list[int]:
        pids = children(self.master)
        if self.database:
            pids += postgres_backends(self.database)
        return pids

    def start(self) -> None:
        self.before = cpu_seconds(self.pids())

    def stop(self) -> float:
        after = cpu_seconds(self.pids())
        return sum(after[pid] - self.before.get(pid, 0.0) for pid in after)
