"""Others keep working while a large import saves (issue #9 part 7): one worker saves 100,000
members while another user, logged in, requests pages against a live server, and every
request answers 200. On SQLite the save holds the only write lock; before the fix, each page
view wrote its session and failed with "database is locked" after 5 s."""

from __future__ import annotations

import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from heli.accounts import sessions
from heli.core import crypto
from heli.core.ids import allocate_ids
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs, pipeline
from heli.members.imports.staging import StageWriter
from heli.members.imports.writer import PREPARED_FIELDS, prepared_values
from heli.members.models import Member
from heli.members.sensitive import ID_PURPOSE

ROWS = 100_000
NAME_AT = PREPARED_FIELDS.index("name")
ID_FIELDS = [PREPARED_FIELDS.index(f) for f in ("id_digest", "id_mask", "id_tail_digest")]

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    path: str
    started: float
    took: float
    status: int


def storable(value: object) -> object:
    """A model value as the stage keeps it: plain str for choices, bytes for ciphers."""
    if isinstance(value, str):
        return str(value)
    return bytes(value) if isinstance(value, memoryview) else value


def stage_members(job: ImportJob, template: Member, rows: int) -> None:
    """A sealed stage of `rows` new members, as a check leaves it, made fast: the template
    member's prepared values with an id, a name and an ID number of their own (digested; the
    ciphertexts stay the template's, which no page of the test reads)."""
    values = [storable(value) for value in prepared_values(template)]
    stage = StageWriter(files.stage_path(job.pk))
    for i, pk in enumerate(allocate_ids(Member, rows)):
        number = f"{i:017d}X"
        values[0] = pk
        values[NAME_AT] = f"党员{i}"
        values[ID_FIELDS[0]] = crypto.digest(ID_PURPOSE, number)
        values[ID_FIELDS[1]] = crypto.mask_id(number)
        values[ID_FIELDS[2]] = f"tail{i % 10000}"
        stage.add_prepared(i + 2, tuple(values))
    stage.close({})


def queued_save(user, template: Member, rows: int) -> ImportJob:
    job = ImportJob.unscoped.create(
        id=uuid.uuid4(), created_by=user, org_path=user.org.path, filename="大名册.xlsx",
        size=1, language="zh-hans", status=JobStatus.QUEUED_SAVE, total_rows=rows,
        confirmed_by=user,
    )  # fmt: skip
    files.import_dir().mkdir(parents=True, exist_ok=True)
    stage_members(job, template, rows)
    return job


def browser(live_server, client, user) -> urllib.request.OpenerDirector:
    """A urllib client holding the session of `user` (logged in through the test client)."""
    client.force_login(user)
    opener = urllib.request.build_opener()
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    opener.addheaders = [("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")]
    return opener


def request(opener, base: str, path: str) -> Answer:
    started = time.perf_counter()
    try:
        with opener.open(base + path, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return Answer(path, started, time.perf_counter() - started, status)


def test_pages_answer_while_a_hundred_thousand_members_are_saved(
    world, live_server, client, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))
    # Every page view falls a minute after the last: each one refreshes and writes its session,
    # the worst case of the once-a-minute write, so each waits for the save's lock.
    ticks = itertools.count()
    monkeypatch.setattr(sessions, "clock", lambda: 1_900_000_000 + 61 * next(ticks))
    caplog.set_level(logging.INFO, logger=pipeline.__name__)
    job = queued_save(world.users["town_admin"], world.member_a, ROWS)
    before = Member.unscoped.count()
    opener = browser(live_server, client, world.users["district_admin"])
    pages = [
        reverse("control:dashboard"),
        reverse("control:member_list"),
        reverse("control:member_import"),
        reverse("control:member_detail", kwargs={"pk": world.member_b.pk}),
    ]

    def save() -> None:
        try:
            jobs.run_job(job)
        finally:
            connection.close()

    saver = threading.Thread(target=save)
    saver.start()
    answers = [request(opener, live_server.url, pages[0])]
    for path in itertools.cycle(pages):
        if not saver.is_alive():
            break
        answers.append(request(opener, live_server.url, path))
    saver.join()

    job.refresh_from_db()
    assert (job.status, job.imported_rows) == (JobStatus.DONE, ROWS), job.message
    assert Member.unscoped.count() == before + ROWS
    held = [r for r in caplog.records if hasattr(r, "held")]
    assert len(held) == 1
    end = held[0].created - time.time() + time.perf_counter()  # on the answers' clock
    start = end - held[0].held
    waited = [a for a in answers if a.started <= end and a.started + a.took >= start]
    assert waited, f"no request met the save's transaction ({held[0].held:.1f}s)"
    failed = [a for a in answers if a.status != 200]
    assert failed == [], failed
