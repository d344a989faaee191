"""Two app servers and two workers against one database, as a deployment past one process runs
them: two gunicorn servers on two ports and two `heli worker` processes, all on the test
database (committed data: `transactional_db`), driven over HTTP by one browser whose cookies
go to both servers (cookies are per host, not per port).

The workers are only started, watched through the pages and the database, and stopped (SIGTERM,
a clean exit): whatever runs the jobs inside `heli worker` may change without this test."""

from __future__ import annotations

import collections
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from heli.audit.models import AuditEntry
from heli.core.scoping import Scope, activate
from heli.members.import_models import ImportJob, JobStatus
from heli.members.models import Member
from tests.factories import make_id_number
from tests.test_member_import import BORN, make_xlsx, member_row
from tests.test_worker_resilience import ROOT, database_url, stop

PASSWORD = "Two#Servers2026"
NAMES = ["甲一", "乙二", "丙三", "丁四"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Browser:
    """One browser: one cookie jar for every server on 127.0.0.1."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect
        )

    def request(self, url: str, data: bytes | None = None, headers: dict | None = None):
        try:
            answer = self.opener.open(urllib.request.Request(url, data, headers or {}), timeout=60)
        except urllib.error.HTTPError as error:  # 3xx and 4xx come back as errors
            answer = error
        body = answer.read().decode("utf-8", "replace")
        return answer.status, answer.headers.get("Location", ""), body

    def token(self, url: str) -> str:
        status, _, body = self.request(url)
        assert status == 200, f"{url}: {status}"
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    def post(
        self,
        url: str,
        fields: dict[str, str],
        file: tuple[str, bytes] | None = None,
        page: str | None = None,
    ):
        """Submit the form of `page` (by default `url` itself) to `url`."""
        fields = {"csrfmiddlewaretoken": self.token(page or url), **fields}
        if file is None:
            data = urllib.parse.urlencode(fields).encode()
            return self.request(url, data, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file[0]}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + file[1]
            + b"\r\n"
        )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            url, data, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def deployment(transactional_db, tmp_path) -> Iterator[dict]:
    """Two servers and two workers sharing the test database and one import folder."""
    environment = {
        **os.environ,
        "HELI_DATABASE_URL": database_url(),
        "HELI_IMPORT_DIR": str(tmp_path / "imports"),
        "HELI_EXPORT_DIR": str(tmp_path / "exports"),
        "HELI_SECURE_COOKIES": "0",
        "HELI_2FA_REQUIRED": "0",  # logins by password here; the second step has its tests
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "heli.settings",
    }
    ports = [_free_port(), _free_port()]
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, command: list[str]) -> None:
        log = (tmp_path / f"{name}.log").open("wb")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", *command], cwd=ROOT, env=environment, stdout=log, stderr=log
        )

    for number, port in enumerate(ports, 1):
        start(f"server{number}", ["gunicorn", "heli.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"])
    for number in (1, 2):
        start(f"worker{number}", ["heli", "worker"])
    try:
        servers = [f"http://127.0.0.1:{port}" for port in ports]
        for server in servers:
            _wait(lambda s=server: Browser().request(f"{s}/login/")[0] == 200, 60, server)
        yield {"servers": servers, "processes": processes, "logs": tmp_path}
    finally:
        for process in processes.values():
            stop(process)


def _wait(ready, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not ready after {seconds} s")


def _settled(browser: Browser, server: str, job: str, logs: Path) -> str:
    """The job's state once no worker has anything left to do on it (as its page polls)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, _, body = browser.request(f"{server}/members/import/{job}/status/")
        assert status == 200, status
        answer = json.loads(body)
        if not answer["running"]:
            return f"{answer['status']} {answer['message']}".strip()
        time.sleep(0.2)
    raise AssertionError(f"{job} still running after 120 s:\n{_logs(logs)}")


def _errors(job: str) -> list:
    return ImportJob.unscoped.get(pk=job).errors


def _logs(folder: Path) -> str:
    return "".join(p.read_text("utf-8", "replace") for p in sorted(folder.glob("*.log")))


def test_two_servers_share_a_session_and_two_workers_run_each_import_once(world, deployment):
    a, b = deployment["servers"]
    logs = Path(deployment["logs"])
    user = world.users["town_admin"]
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "twoservers", iterations=1000)
    user.save(update_fields=["password"])

    browser = Browser()
    status, location, _ = browser.post(
        f"{a}/login/", {"username": user.username, "password": PASSWORD}
    )
    assert status == 302 and "/login" not in location, "logged in on the first server"
    status, _, desk = browser.request(f"{b}/")
    assert status == 200 and user.display_name in desk, "the same session on the second"

    jobs = []
    for number, name in enumerate(NAMES):
        server = (a, b)[number % 2]  # uploads alternate between the servers
        row = member_row(world, name=name, id_number=make_id_number(BORN, "F"))
        sheet = make_xlsx([row])
        status, location, _ = browser.post(
            f"{server}/members/import/", {}, file=(f"{name}.xlsx", sheet)
        )
        assert status == 302, f"upload {name} on {server}: {status}"
        jobs.append(location.rstrip("/").rsplit("/", 1)[-1])

    for number, job in enumerate(jobs):  # checked by a worker, confirmed on the other server
        assert _settled(browser, a, job, logs) == JobStatus.CHECKED, _errors(job)
        server = (b, a)[number % 2]
        page = f"{server}/members/import/{job}/"
        status, _, _ = browser.post(f"{page}save/", {}, page=page)
        assert status == 302
    for job in jobs:
        assert _settled(browser, b, job, logs) == JobStatus.DONE

    with activate(Scope.everything()):
        assert sorted(
            Member.objects.filter(name__in=NAMES).values_list("name", flat=True)
        ) == sorted(NAMES), "each member saved once"
        saves = collections.Counter(
            entry.detail.get("job") for entry in AuditEntry.objects.filter(action="member.import")
        )
        assert {job: saves[job] for job in jobs} == dict.fromkeys(jobs, 1), "each save ran once"
        assert all(ImportJob.unscoped.get(pk=job).imported_rows == 1 for job in jobs), (
            "and imported its row"
        )

    for name, process in deployment["processes"].items():
        assert process.poll() is None, f"{name} is still running"
        stop(process)
        assert process.returncode == 0, f"{name} stops cleanly on SIGTERM"
    assert "Traceback" not in _logs(logs)
