"""`heli bench pages`: every staff page (heli.bench.pages) as the bench world's district, town
and grid users, in process through Django's test Client, against the baseline page in the
same run; p50/p95 of the server's time (middleware, view, template, body) and queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from heli.bench import pages as walker

ROLES = ("district", "town", "grid")


def bench_settings() -> override_settings:
    """The bench URL conf (the baseline page), the test client's host, no second factor (the
    bench users have none; the check itself is a session read either way)."""
    from django.conf import settings

    return override_settings(
        ROOT_URLCONF="heli.bench.urls",
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        HELI_2FA_REQUIRED=False,
        SECURE_SSL_REDIRECT=False,
    )


def walk_pages(options: dict[str, Any], say: Callable[[str], None]) -> None:
    from heli.accounts.models import User

    roles = [r.strip() for r in options["roles"].split(",") if r.strip()]
    unknown = set(roles) - set(ROLES)
    if unknown or options["rounds"] < 1:
        raise CommandError(f"--roles from {', '.join(ROLES)}; --rounds at least 1")
    limit = options["fail_over"]
    slow = []
    with bench_settings():
        missing_urls = walker.uncovered()
        if missing_urls:
            say(
                "NOT COVERED (add them to heli/bench/pages.py FILL or SKIP): "
                + ", ".join(sorted(missing_urls))
            )
        for role in roles:
            user = User.objects.select_related("org").filter(username=f"bench-{role}").first()
            if user is None:
                raise CommandError(f"no user bench-{role}: build the zone with `heli bench world`")
            client = Client()
            client.force_login(user)
            pages, missing = walker.pages_for(user)
            pages = walker.only(pages, options.get("only") or "")
            baseline = walker.Page(
                "baseline (pk read, base template)",
                reverse("bench_page", kwargs={"pk": user.org.region_id}),
            )
            measures = walker.walk(client, [baseline, *pages], options["rounds"])
            base = measures[0]
            say(f"\n{role} ({user.org.name}), {options['rounds']} rounds")
            say(f"{'page':<34}{'status':>7}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}{'× base':>8}")
            for m in measures:
                queries = "/".join(str(q) for q in sorted(set(m.queries)))
                ratio = m.p50 / base.p50
                say(
                    f"{m.label:<34}{m.status:>7}{queries:>8}{m.p50:>10.1f}{m.p95:>10.1f}"
                    f"{ratio:>8.1f}"
                )
                if limit is not None and m.status == 200 and m.p50 > limit:
                    slow.append(f"{role} {m.label} ({m.p50:.0f} ms)")
            if missing:
                say("no object for: " + ", ".join(missing))
    if slow:
        raise CommandError(f"p50 over {limit:g} ms: " + "; ".join(slow))
