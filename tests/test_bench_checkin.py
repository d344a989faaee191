"""The pieces of `heli bench checkin` that run fast: the baseline view, the bench members and
the form bodies the load posts, the bookkeeping of what was posted, and the duplicate count.
The full run (gunicorn + wrk) is measured by hand: docs/benchmarks.md."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.bench import cpu, load, world
from heli.members import idcard
from heli.mobility.models import CheckIn, FloatingRecord, PendingCheckIn


@pytest.fixture
def bench_zone(db, everything):
    """The bench database's content, small: one station, five floating members."""
    station, branch = world.build_zone()
    world.build_members(5, branch)
    return station


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "heli.bench.urls"


def _csrf(client: Client, station) -> tuple[str, str]:
    page = client.get(reverse("public:station", kwargs={"token": station.token}))
    token = load.TOKEN_FIELD.search(page.content.decode()).group(1)
    return f"csrftoken={client.cookies['csrftoken'].value}", token


def _post(station, cookie: str, body: str):
    # A fresh client with only the header wrk sends, as wrk sends it.
    return Client(enforce_csrf_checks=True).post(
        reverse("public:station", kwargs={"token": station.token}),
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_COOKIE=cookie,
    )


def test_the_bench_identities_are_valid_distinct_id_numbers():
    numbers = [world.identity(i)[1] for i in (0, 1, 999, 1000, 19_999, 1_234_567)]
    assert [idcard.validate(n) for n in numbers] == numbers
    assert len(set(numbers)) == len(numbers)


def test_the_baseline_view_does_one_indexed_read_and_one_insert(
    bench_zone, bench_urls, client, django_assert_num_queries
):
    with django_assert_num_queries(2):
        response = client.get(f"/bench/baseline/{bench_zone.token}/")
    assert response.status_code == 200
    assert Session.objects.filter(session_data=bench_zone.token).count() == 1


def test_the_baseline_view_exists_only_on_the_bench_server(bench_zone, client):
    assert client.get(f"/bench/baseline/{bench_zone.token}/").status_code == 404


def test_a_bench_body_checks_the_member_in_through_the_station_page(bench_zone, client):
    cookie, token = _csrf(client, bench_zone)
    name, number = world.identity(3)
    response = _post(bench_zone, cookie, load.check_in_body(token, name, number))
    assert response.status_code == 302
    check_in = CheckIn.unscoped.get()
    assert (check_in.member.name, check_in.station) == (name, bench_zone)
    assert FloatingRecord.unscoped.get(member=check_in.member).last_reported_at == check_in.at
    assert not PendingCheckIn.unscoped.exists()


def test_a_repeated_body_the_same_day_leaves_one_row_and_the_counter_sees_none(bench_zone, client):
    cookie, token = _csrf(client, bench_zone)
    body = load.check_in_body(token, *world.identity(1))
    assert [_post(bench_zone, cookie, body).status_code for _ in range(3)] == [302, 302, 302]
    assert CheckIn.unscoped.count() == 1
    assert world.check_in_duplicates() == 0


def test_a_body_without_the_csrf_cookie_is_refused(bench_zone, client):
    _cookie, token = _csrf(client, bench_zone)
    body = load.check_in_body(token, *world.identity(1))
    assert _post(bench_zone, "", body).status_code == 403
    assert not CheckIn.unscoped.exists()


@pytest.mark.django_db
def test_the_duplicate_counter_counts_each_group_of_rows_sharing_the_fields():
    actor = Actor.system("bench")
    for action in ("a", "a", "a", "b", "b", "c"):
        record(actor, action)
    assert world.duplicate_groups(AuditEntry.unscoped.all(), ("action",)) == 2
    assert world.duplicate_groups(AuditEntry.unscoped.all(), ("action", "id")) == 0


def test_the_member_sequence_posts_every_member_and_repeats_some_shortly_after():
    sequence = load.member_sequence(70)
    assert set(sequence) == set(range(70))
    repeats = len(sequence) - 70
    assert repeats == 9
    seventh = sequence[load.REPEAT_EVERY - 1]
    assert seventh == sequence[load.REPEAT_EVERY - 1 - load.REPEAT_BACK]


def test_the_posted_members_follow_how_wrk_threads_walk_the_bodies():
    sequence = [10, 11, 12, 13, 14, 15, 16]
    assert load.posted_members(sequence, [(0, [2, 1])]) == ({10, 11, 12}, False)
    assert load.next_offset(0, [2, 1]) == 4
    second = (4, [1, 1])
    assert load.posted_members(sequence, [(0, [2, 1]), second]) == ({10, 11, 12, 14, 15}, False)
    assert load.posted_members(sequence, [(0, [4, 4])]) == (set(sequence), True)


def test_the_wrk_result_line_is_read_and_its_absence_is_an_error():
    line = {
        "requests": 3000, "duration_us": 2_000_000, "status_errors": 1, "connect_errors": 0,
        "read_errors": 2, "write_errors": 0, "timeouts": 1, "p50_us": 900, "p99_us": 5000,
        "max_us": 9000, "issued": [1500, 1501],
    }  # fmt: skip
    result = load.parse_wrk("Running 2s test\nJSON " + json.dumps(line) + "\n")
    assert (result.rate, result.socket_errors, result.issued) == (1500.0, 3, [1500, 1501])
    with pytest.raises(load.LoadError):
        load.parse_wrk("Running 2s test\n")


def test_the_command_says_how_to_install_wrk_when_it_is_missing(monkeypatch):
    monkeypatch.setattr(load.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="apt-get install -y wrk"):
        call_command("bench", "checkin", "--db", "sqlite", stdout=io.StringIO())


def test_the_cpu_meter_counts_what_the_servers_workers_spend():
    meter = cpu.Meter(os.getpid())
    meter.start()
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    worker = subprocess.Popen(
        [sys.executable, "-c", busy + "\nprint('done', flush=True)\ntime.sleep(10)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline() == "done\n"
        spent = meter.stop()
    finally:
        worker.kill()
        worker.wait()
    assert 0.3 <= spent < 5
