"""Staff pages read from the primary and from the streaming replica: server time in process
(Django's test client), p50 per page and where each page's queries went (docs/scaling.md).

    HELI_DATABASE_URL=postgres://…:5432/DB HELI_REPLICA_DATABASE_URL=postgres://…:5433/DB \
    HELI_ALLOWED_HOSTS=testserver python benchmarks/replica_pages.py [ROUNDS] [USERNAME]

Each round asks every page 4 times from the primary (the read-your-writes cookie set) and 4
times from the replica (no cookie), alternating, so that a busy moment falls on both."""

from __future__ import annotations

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heli.settings")
django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from heli.accounts.models import User  # noqa: E402
from heli.core import replica  # noqa: E402

PER_ROUND = 4
SIDES = ("primary", "replica")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    client = Client()
    client.force_login(User.objects.get(username=sys.argv[2] if len(sys.argv) > 2 else "district"))
    pages = ["/", "/members/", "/members/?q=zw", "/audit/", "/floating/report/"]
    pages.append(client.get("/regions/tree/")["Location"])  # the user's own region
    times: dict[tuple[str, str], list[float]] = {(p, s): [] for p in pages for s in SIDES}
    queries: dict[tuple[str, str], tuple[int, int]] = {}

    def ask(page: str, side: str) -> None:
        if side == "primary":
            client.cookies[replica.STICKY_COOKIE] = f"{time.time() + 60:.3f}"
        else:
            client.cookies.pop(replica.STICKY_COOKIE, None)
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections[replica.REPLICA]) as copy,
        ):
            started = time.perf_counter()
            answer = client.get(page)
            times[(page, side)].append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (page, answer.status_code)
        queries[(page, side)] = (len(primary.captured_queries), len(copy.captured_queries))

    for page in pages:  # connections and caches warm on both sides
        for side in SIDES:
            ask(page, side)
    for series in times.values():
        series.clear()
    for _ in range(rounds):
        for page in pages:
            for side in SIDES:
                for _ in range(PER_ROUND):
                    ask(page, side)
    print(f"{'page':24} {'primary p50':>12} {'replica p50':>12} {'ratio':>6}  queries")
    for page in pages:
        first, second = (statistics.median(times[(page, side)]) for side in SIDES)
        print(
            f"{page:24} {first:10.1f}ms {second:10.1f}ms {second / first:6.2f}  "
            f"primary {queries[(page, 'primary')]} replica {queries[(page, 'replica')]}"
        )


if __name__ == "__main__":
    main()
