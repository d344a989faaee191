"""No page's query count depends on the number of rows: every page heli bench pages walks
(heli.bench.pages, driven by the URL conf), as a district, a town and a grid user, before and
after rows of every growing kind are added where all three see them."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from heli.audit.services import Actor, record
from heli.bench import pages as walker
from heli.bench.pagescmd import bench_settings
from heli.campaigns.models import CampaignTask
from heli.core.scoping import Scope, activate
from heli.letters.models import LetterStatus, ReminderLetter
from heli.mobility.models import CheckIn, CheckInStatus, Document, FloatingRecord
from tests.factories import MemberFactory

ROLES = ("district_admin", "town_admin", "grid_worker")


def _walk(user) -> dict[str, tuple[int, int]]:
    """Each page's status and its fewest queries over two rounds from a fresh login (a
    session's last-seen time is written once a minute, on whichever request comes then)."""
    client = Client()
    client.force_login(user)
    pages, _missing = walker.pages_for(user)
    return {m.label: (m.status, min(m.queries)) for m in walker.walk(client, pages, rounds=2)}


def _grow(world, rows: int = 3) -> None:
    """`rows` more of everything a page lists or counts, in grid A (seen by all three)."""
    today = timezone.localdate()
    with activate(Scope.everything()):
        for _ in range(rows):
            serial = ReminderLetter.unscoped.count() + 100
            MemberFactory(org=world.branch_a, residence_grid=world.grid_a)
            away = MemberFactory(
                org=world.branch_a, residence_grid=world.grid_a, status="floating",
                floating_direction="out", floating_place="上海市浦东新区",
            )  # fmt: skip
            floating = FloatingRecord.unscoped.create(
                member=away, direction="out", outflow_org=world.branch_a, place="上海市浦东新区",
                grid=world.grid_a, since=today - dt.timedelta(days=200), flow_range="province",
                reason="work", expected_months=12, document=Document.TRANSFER,
                last_contact_at=timezone.now() - dt.timedelta(days=120),
            )  # fmt: skip
            CheckIn.unscoped.create(
                member=away, station=world.station_a, day=today,
                status=CheckInStatus.VERIFIED,
            )  # fmt: skip
            ReminderLetter.unscoped.create(
                record=floating, member=away, issuing_org=world.branch_a, year=today.year,
                serial=serial, number=f"督报〔{today.year}〕{serial}号", addressee="上海有关党组织",
                status=LetterStatus.SENT, issued_on=today, sent_on=today,
                expected_reply_on=today + dt.timedelta(days=30),
            )  # fmt: skip
            CampaignTask.unscoped.create(
                campaign=world.campaign_a, record=floating, member=away, grid=world.grid_a,
                was_lost=True,
            )  # fmt: skip
            for role in ROLES:
                record(Actor(user=world.users[role]), "login")


def test_the_walk_covers_every_staff_url():
    assert walker.uncovered() == set()


def test_no_pages_query_count_grows_with_the_rows(world):
    with bench_settings():
        _grow(world)  # every list has rows: from some rows to more, not from none to some
        before = {role: _walk(world.users[role]) for role in ROLES}
        _grow(world)
        after = {role: _walk(world.users[role]) for role in ROLES}
    walked = [page for role in ROLES for page, (status, _) in before[role].items() if status == 200]
    assert len(walked) > 80, "the walk should open most pages for the three roles"
    grown = [
        f"{role} {page}: {before[role][page]} → {after[role][page]}"
        for role in ROLES
        for page in before[role]
        if before[role][page] != after[role][page]
    ]
    assert not grown, "query counts grow with the rows:\n" + "\n".join(grown)
