"""The load of `heli bench checkin`: wrk for throughput, a thread burst for the race.

wrk (C, one event loop per thread) generates the load so that the two cores stay with the
server; a Python load generator would take the CPU it measures. The check-in requests carry a
real CSRF cookie and token (fetched once from the station page; Django accepts the pair for
any number of requests) and the name and ID number of bench members, mostly new ones and every
REPEAT_EVERY-th a member posted a few requests before: same-day repeats, which must not become
second rows.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "checkin.lua"
REPEAT_EVERY = 8  # every 8th request repeats a member …
REPEAT_BACK = 5  # … posted 5 requests earlier
INSTALL_WRK = (
    "wrk is not installed: the check-in benchmark drives the server with it. Install it with "
    "`apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)."
)


class LoadError(RuntimeError):
    pass


def wrk_path() -> str:
    """The wrk executable, or LoadError saying how to install it."""
    found = shutil.which("wrk")
    if not found:
        raise LoadError(INSTALL_WRK)
    return found


@dataclass
class WrkResult:
    requests: int
    duration_us: int
    status_errors: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    p50_us: int
    p99_us: int
    max_us: int
    issued: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts


def parse_wrk(output: str) -> WrkResult:
    """The JSON line benchmarks/checkin.lua prints at the end of a wrk run."""
    for line in output.splitlines():
        if line.startswith("JSON "):
            return WrkResult(**json.loads(line[5:]))
    raise LoadError(f"wrk printed no result line:\n{output}")


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    bodies: Path | None = None,
    cookie: str = "",
    offset: int = 0,
) -> WrkResult:
    command = [
        wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(SCRIPT), url,
    ]  # fmt: skip
    if bodies is not None:
        command += ["--", str(bodies), cookie, str(threads), str(offset)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def member_sequence(members: int) -> list[int]:
    """Which member each request body posts: new members in turn, and every REPEAT_EVERY-th
    body the member of REPEAT_BACK bodies before (a same-day repeat). Every member appears."""
    sequence: list[int] = []
    fresh = 0
    while fresh < members:
        if len(sequence) % REPEAT_EVERY == REPEAT_EVERY - 1:
            sequence.append(sequence[-REPEAT_BACK])
        else:
            sequence.append(fresh)
            fresh += 1
    return sequence


def next_offset(offset: int, issued: list[int]) -> int:
    """Where the next check-in run starts in the bodies: after every body this run sent."""
    return offset + len(issued) * max(issued, default=0)


def posted_members(sequence: list[int], runs: list[tuple[int, list[int]]]) -> tuple[set[int], bool]:
    """The members wrk posted, from the offset of each run and the requests each of its
    threads issued (thread t sends bodies offset+t, offset+t+T, …, wrapping around), and
    whether the bodies ran out and wrapped."""
    size = len(sequence)
    posted: set[int] = set()
    wrapped = False
    for offset, issued in runs:
        threads = len(issued)
        for t, count in enumerate(issued):
            for k in range(count):
                index = offset + t + k * threads
                wrapped = wrapped or index >= size
                posted.add(sequence[index % size])
    return posted, wrapped


def combine(results: list[WrkResult]) -> WrkResult:
    """Several runs of the same endpoint as one: counts added, the median latency weighted
    by requests, the 99th percentile and maximum of the worst run."""
    requests = sum(r.requests for r in results)
    return WrkResult(
        requests=requests,
        duration_us=sum(r.duration_us for r in results),
        status_errors=sum(r.status_errors for r in results),
        connect_errors=sum(r.connect_errors for r in results),
        read_errors=sum(r.read_errors for r in results),
        write_errors=sum(r.write_errors for r in results),
        timeouts=sum(r.timeouts for r in results),
        p50_us=round(sum(r.p50_us * r.requests for r in results) / requests) if requests else 0,
        p99_us=max((r.p99_us for r in results), default=0),
        max_us=max((r.max_us for r in results), default=0),
        issued=[],
    )


def check_in_body(csrf_token: str, name: str, id_number: str) -> str:
    """The urlencoded form the station page posts."""
    return urlencode({"csrfmiddlewaretoken": csrf_token, "name": name, "id_or_phone": id_number})


def write_bodies(path: Path, csrf_token: str, identities: list[tuple[str, str]]) -> None:
    path.write_text("".join(check_in_body(csrf_token, *who) + "\n" for who in identities))


TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def fetch_csrf(url: str) -> tuple[str, str]:
    """(Cookie header value, form token) from one GET of the station page, as a phone gets
    them before posting the form."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        page = answer.read().decode()
        cookies = answer.headers.get_all("Set-Cookie") or []
    cookie = next((c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken=")), None)
    token = TOKEN_FIELD.search(page)
    if cookie is None or token is None:
        raise LoadError("the station page gave no CSRF cookie or token")
    return cookie, token.group(1)


def burst(host: str, port: int, path: str, body: str, cookie: str, n: int) -> list[int]:
    """`n` connections, opened first, post the same body at the same moment; their statuses."""
    statuses: list[int] = [0] * n
    connections = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(n)]
    for connection in connections:
        connection.connect()
    start = threading.Barrier(n)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    def post(i: int) -> None:
        start.wait()
        connections[i].request("POST", path, body=body.encode(), headers=headers)
        statuses[i] = connections[i].getresponse().status

    workers = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for connection in connections:
        connection.close()
    return statuses
