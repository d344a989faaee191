"""`heli bench checkin`: check-ins per second on a real server against a baseline view.

For each database (SQLite file var/bench-checkin.sqlite3, fresh each run; PostgreSQL
`helibench`, its schema dropped and migrated each run) the benchmark

1. prepares the database in a child process with the server's environment (heli.bench.world:
   a zone with one station and N inflow floating members with known ID numbers);
2. starts gunicorn on 127.0.0.1 with the production configuration: DEBUG off, fresh keys,
   sync workers, persistent database connections (HELI_CONN_MAX_AGE), and the check-in rate
   limits raised (all load comes from one address);
3. drives, with wrk at the same number of connections for the same time, the baseline view
   (one indexed read, one insert: heli.bench.views) and then the check-in form
   (POST /s/<token>/ with a CSRF cookie and token, members mostly new, some same-day
   repeats), and 32 connections posting one member at the same moment;
4. stops the server (always: its whole process group) and counts what was written.

The verdict: check-ins per second at least TARGET of the baseline's, no duplicate check-in
rows, one row for the burst's member.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from heli.bench import cpu, load
from heli.bench.world import identity

TARGET = 0.50  # #11 part 8
UNLIMITED = 1_000_000_000
PROJECT_DIR = Path(__file__).resolve().parents[2]
SQLITE_PATH = PROJECT_DIR / "var" / "bench-checkin.sqlite3"
POSTGRES_URL = "postgres://heli:heli@127.0.0.1:5432/helibench"

Out = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    connections: int = 32
    seconds: int = 15
    workers: int = 2 * (os.cpu_count() or 1) + 1
    members: int = 20_000
    threads: int = min(os.cpu_count() or 1, 32)
    warmup: int = 2
    rounds: int = 3  # baseline and check-in alternate, so that a busy moment hits both

    @property
    def round_seconds(self) -> int:
        return max(1, self.seconds // self.rounds)


@dataclass(frozen=True)
class Database:
    label: str
    url: str
    sqlite_file: Path | None = None


def databases(which: str, postgres_url: str = POSTGRES_URL) -> list[Database]:
    sqlite = Database("SQLite", f"sqlite:///{SQLITE_PATH}", SQLITE_PATH)
    postgres = Database("PostgreSQL", postgres_url)
    return {"sqlite": [sqlite], "postgres": [postgres], "both": [sqlite, postgres]}[which]


def server_env(database: Database) -> dict[str, str]:
    """The production environment of the bench server and its helper processes: none of the
    caller's HELI_* variables (no HELI_DEBUG), fresh keys shared by all of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELI_")}
    env.update(
        DJANGO_SETTINGS_MODULE="heli.bench.settings",
        HELI_SECRET_KEY=secrets.token_urlsafe(50),
        HELI_FIELD_KEY=secrets.token_hex(16),
        HELI_DIGEST_KEY=secrets.token_hex(16),
        HELI_AUDIT_KEY=secrets.token_hex(32),
        HELI_DATABASE_URL=database.url,
        HELI_CONN_MAX_AGE="600",
        HELI_ALLOWED_HOSTS="127.0.0.1",
        HELI_CHECKIN_LIMIT_PER_ADDRESS=str(UNLIMITED),
        HELI_CHECKIN_LIMIT_PER_STATION=str(UNLIMITED),
    )
    return env


def _world(env: dict[str, str], action: str, plan: Path, members: int) -> str:
    command = [sys.executable, "-m", "heli.bench.world", action, str(plan)]
    done = subprocess.run(
        [*command, "--members", str(members)],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        raise load.LoadError(f"`{' '.join(command)}` failed:\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int, log: Path, ready_path: str
) -> Iterator[tuple[int, int]]:
    """A gunicorn with `workers` sync workers on a free port of 127.0.0.1, ready when
    `ready_path` answers 200: (port, pid). Its process group is ended on the way out,
    whatever happens."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "heli.wsgi", "--worker-class", "sync",
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("w") as log_file:
        server = subprocess.Popen(
            command, env=env, cwd=PROJECT_DIR, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_ready(server, f"http://127.0.0.1:{port}{ready_path}", log)
            yield port, server.pid
        finally:
            _stop(server)


def _wait_ready(server: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise load.LoadError(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise load.LoadError(f"gunicorn did not answer {url} within {timeout:.0f}s")


def _stop(server: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Outcome:
    database: Database
    options: Options
    baseline: load.WrkResult
    check_in: load.WrkResult
    posted: int
    wrapped: bool
    burst_statuses: list[int]
    counts: dict[str, int]
    cpu_seconds: dict[str, float]

    def cpu_ms(self, endpoint: str) -> float:
        """Server CPU milliseconds per request (workers, and PostgreSQL's backends)."""
        result = self.baseline if endpoint == "baseline" else self.check_in
        return self.cpu_seconds[endpoint] * 1000 / result.requests if result.requests else 0.0

    @property
    def cpu_ratio(self) -> float:
        check_in = self.cpu_ms("check_in")
        return self.cpu_ms("baseline") / check_in if check_in else 0.0

    @property
    def ratio(self) -> float:
        return self.check_in.rate / self.baseline.rate if self.baseline.rate else 0.0

    @property
    def fast_enough(self) -> bool:
        return self.ratio >= TARGET

    @property
    def burst_ok(self) -> bool:
        return self.counts["burst_rows"] == 1 and all(s == 302 for s in self.burst_statuses)

    @property
    def rows_ok(self) -> bool:
        """No duplicates; every member posted has a row (but the ≤ connections requests in
        flight when wrk stopped, which the server may or may not have finished)."""
        rows = self.counts["check_ins"] - 1  # the burst's member
        return (
            self.counts["duplicates"] == 0
            and self.counts["pending"] == 0
            and self.posted - self.options.connections <= rows <= self.posted
            and self.check_in.status_errors == 0
        )

    @property
    def passed(self) -> bool:
        return self.fast_enough and self.burst_ok and self.rows_ok


def measure(database: Database, options: Options, out: Out) -> Outcome:
    load.wrk_path()  # fail before any work when wrk is missing
    env = server_env(database)
    if database.sqlite_file is not None:
        database.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database.sqlite_file}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="heli-bench-checkin-") as folder:
        plan_path, bodies = Path(folder) / "plan.json", Path(folder) / "bodies.txt"
        busy = os.getloadavg()[0]
        if busy > 0.5:
            out(
                f"warning: the machine is busy (load average {busy:.1f} before the run): "
                "the figures are noisy; the ratio less so (the endpoints alternate)"
            )
        started = time.perf_counter()
        _world(env, "prepare", plan_path, options.members)
        plan = json.loads(plan_path.read_text())
        out(
            f"{database.label}: migrated and filled with {options.members:,} members "
            f"in {time.perf_counter() - started:.1f}s"
        )
        # The last member is kept out of the load for the burst.
        sequence = load.member_sequence(options.members - 1)
        station_path = f"/s/{plan['token']}/"
        log = PROJECT_DIR / "var" / f"bench-checkin-{database.label.lower()}.log"
        with gunicorn(env, options.workers, log, station_path) as (port, pid):
            base = f"http://127.0.0.1:{port}"
            cookie, token = load.fetch_csrf(base + station_path)
            load.write_bodies(bodies, token, [identity(m) for m in sequence])
            wrk = {"connections": options.connections, "threads": options.threads}
            baseline_url = f"{base}/bench/baseline/{plan['token']}/"
            load.run_wrk(baseline_url, seconds=options.warmup, **wrk)
            baselines, check_ins, runs, offset = [], [], [], 0
            spent = {"baseline": 0.0, "check_in": 0.0}
            meter = cpu.Meter(pid, _postgres_name(database))
            for _round in range(options.rounds):
                meter.start()
                baselines.append(load.run_wrk(baseline_url, seconds=options.round_seconds, **wrk))
                spent["baseline"] += meter.stop()
                meter.start()
                result = load.run_wrk(
                    base + station_path, seconds=options.round_seconds, bodies=bodies,
                    cookie=cookie, offset=offset, **wrk,
                )  # fmt: skip
                spent["check_in"] += meter.stop()
                check_ins.append(result)
                runs.append((offset, result.issued))
                offset = load.next_offset(offset, result.issued)
            burst_body = load.check_in_body(token, *identity(options.members - 1))
            statuses = load.burst(
                "127.0.0.1", port, station_path, burst_body, cookie, options.connections
            )
        counts = json.loads(_world(env, "count", plan_path, options.members))
    posted, wrapped = load.posted_members(sequence, runs)
    baseline, check_in = load.combine(baselines), load.combine(check_ins)
    return Outcome(
        database, options, baseline, check_in, len(posted), wrapped, statuses, counts, spent
    )


def _postgres_name(database: Database) -> str | None:
    if database.sqlite_file is not None:
        return None
    return urlparse(database.url).path.lstrip("/") or None


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(o: Outcome, out: Out) -> None:
    opts = o.options
    out(
        f"\n{o.database.label}: gunicorn {opts.workers} sync workers, persistent connections, "
        f"DEBUG off; wrk {opts.threads} threads, {opts.connections} connections, "
        f"{opts.rounds * opts.round_seconds}s per endpoint in {opts.rounds} alternating rounds"
    )
    out(
        f"{'endpoint':<40}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms*':>9}"
        f"{'non-2xx/3xx':>13}{'socket errors':>15}{'CPU ms/req':>12}"
    )
    for label, key, r in (
        ("baseline (1 indexed read + 1 insert)", "baseline", o.baseline),
        ("check-in (POST /s/<token>/)", "check_in", o.check_in),
    ):
        out(
            f"{label:<40}{r.requests:>10,}{r.rate:>9,.0f}{r.p50_us / 1000:>9.1f}"
            f"{r.p99_us / 1000:>9.1f}{r.status_errors:>13,}{r.socket_errors:>15,}"
            f"{o.cpu_ms(key):>12.2f}"
        )
    postgres = ", PostgreSQL backends" if _postgres_name(o.database) else ""
    out(
        f"* p99 of the worst round. CPU: the server's (gunicorn workers{postgres}) per request; "
        f"baseline / check-in CPU: {o.cpu_ratio:.2f}, what a quiet machine would show as the "
        "throughput ratio"
    )
    out(f"check-ins / baseline: {o.ratio:.2f} (target ≥ {TARGET:.2f}) — {_verdict(o.fast_enough)}")
    c = o.counts
    out(
        f"check-in rows: {c['check_ins'] - 1:,} from the load for {o.posted:,} distinct members "
        f"posted (up to {opts.connections} were in flight when wrk stopped)"
        + ("; the bodies ran out and wrapped around" if o.wrapped else "")
        + f"; audited: {c['audited']:,}; records with a self-reported check-in: {c['reported']:,}; "
        f"pending: {c['pending']}; duplicate (member, station, day) groups: {c['duplicates']} — "
        f"{_verdict(o.rows_ok)}"
    )
    answers = ", ".join(f"{n}×{s}" for s, n in sorted(_tally(o.burst_statuses).items()))
    out(
        f"burst: {opts.connections} connections posted the same member at once: answers "
        f"{answers}; rows for that member: {c['burst_rows']} — {_verdict(o.burst_ok)}"
    )


def _tally(values: list[int]) -> dict[int, int]:
    tally: dict[int, int] = {}
    for v in values:
        tally[v] = tally.get(v, 0) + 1
    return tally


def run(which: str, options: Options, out: Out, postgres_url: str = POSTGRES_URL) -> bool:
    """Measure and report each database; True when every verdict is PASS."""
    out(
        f"rate limits raised to {UNLIMITED:,} per window (HELI_CHECKIN_LIMIT_PER_ADDRESS, "
        "HELI_CHECKIN_LIMIT_PER_STATION): all load comes from 127.0.0.1; the counters are still "
        "written on every check-in"
    )
    outcomes = []
    for database in databases(which, postgres_url):
        outcome = measure(database, options, out)
        report(outcome, out)
        outcomes.append(outcome)
    return all(o.passed for o in outcomes)
