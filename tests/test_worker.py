"""Import jobs through their life: `run_job`, their task (`run_import`), atomic claims,
progress, recovery, the `heli worker` command, the pages that follow a job, and `heli bench
import`. Two workers racing for the same tasks: tests/test_tasks.py."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from heli.audit.services import Actor
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs
from heli.members.imports.template import template_xlsx
from heli.members.models import Member
from heli.orgs.models import Region
from tests.import_matrix import IMPORT_MATRIX, add_import_jobs
from tests.taskqueue import run_queued
from tests.test_member_import import (
    HEADERS,
    make_xlsx,
    member_row,
    problem_text,
    run_check,
    stored,
)


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def queue(user, content: bytes, language: str = "zh-hans") -> ImportJob:
    return jobs.create_job(user, [content], "党员.xlsx", language)


@pytest.mark.django_db
def test_a_job_goes_from_queued_to_checked_then_to_done(world):
    user = world.users["town_admin"]
    job = queue(user, make_xlsx([member_row(world)]))
    assert job.status == JobStatus.QUEUED_CHECK and stored() == [str(job.pk)]
    jobs.run_job(job)
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("checked", 1, 1, 100)
    assert stored() == [f"{job.pk}.stage"], "the clear-text upload goes once the rows are staged"
    assert jobs.confirm(job, Actor(user)) and not jobs.confirm(job, Actor(user))
    assert ImportJob.unscoped.get(pk=job.pk).status == JobStatus.QUEUED_SAVE
    jobs.run_job(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.finished_at is not None
    assert job.imported_rows == 1 and stored() == []


@pytest.mark.django_db
def test_progress_is_written_at_least_every_thousand_rows(world, monkeypatch):
    rows = [member_row(world, id_number=f"{n}") for n in range(2500)]  # bad IDs: quick to check
    job = queue(world.users["town_admin"], make_xlsx(rows))
    seen = []
    real = jobs._progress

    def spy(job):
        report = real(job)

        def both(done, total):
            report(done, total)
            seen.append((done, ImportJob.unscoped.get(pk=job.pk).processed_rows))

        return both

    monkeypatch.setattr(jobs, "_progress", spy)
    jobs.run_job(job)
    assert [done for done, _stored in seen] == [0, 1000, 2000, 2500]
    assert all(done == written for done, written in seen)
    job.refresh_from_db()
    assert job.error_count == 2500 and len(job.errors) == 1000 and job.total_rows == 2500


@pytest.mark.django_db
def test_a_claimed_job_cannot_be_claimed_again(world):
    job = queue(world.users["town_admin"], make_xlsx([member_row(world)]))
    first, second = ImportJob.unscoped.get(pk=job.pk), ImportJob.unscoped.get(pk=job.pk)
    assert jobs.claim(first) is True
    assert jobs.claim(second) is False
    assert jobs.run_import.call(str(job.pk)).endswith("not queued"), "its task leaves it alone"
    assert jobs.run_job(second).status == JobStatus.CHECKING, "the loser leaves it alone"


@pytest.mark.django_db
def test_each_queued_phase_has_its_task(world):
    user = world.users["town_admin"]
    job = queue(user, make_xlsx([member_row(world)]))
    assert f"{job.pk} 党员.xlsx: checked" in run_queued()
    job.refresh_from_db()
    assert jobs.confirm(job, Actor(user))
    assert f"{job.pk} 党员.xlsx: done" in run_queued()
    assert Member.unscoped.filter(name="孙丽").exists()


@pytest.mark.django_db
def test_a_job_answered_on_its_setup_page_is_checked_again_by_its_task(world):
    from heli.core.scoping import activate
    from heli.members.imports import setup

    user = world.users["town_admin"]
    content = make_xlsx([member_row(world)], headers=[*HEADERS, "家庭住址"])
    job = queue(user, content)
    assert f"{job.pk} 党员.xlsx: needs_setup" in run_queued()
    job.refresh_from_db()
    with activate(user.scope()):
        assert setup.answer(job, Actor(user), "", {"家庭住址": setup.IGNORE})
    assert f"{job.pk} 党员.xlsx: checked" in run_queued()


@pytest.mark.django_db
def test_a_job_runs_in_the_uploaders_scope_and_language(world):
    rows = [member_row(world, name="")]
    job = jobs.run_job(queue(world.users["town_admin"], make_xlsx(rows), language="en"))
    assert "This column is required." in problem_text(job)
    outsider_job = jobs.run_job(queue(world.users["outsider"], make_xlsx([member_row(world)])))
    assert "未知党组织" in problem_text(outsider_job)


@pytest.mark.django_db
def test_a_job_whose_uploader_was_disabled_fails_without_reading_anything(world):
    user = world.users["town_admin"]
    job = queue(user, make_xlsx([member_row(world)]))
    user.is_active = False
    user.save()
    job = jobs.run_job(ImportJob.unscoped.get(pk=job.pk))
    assert job.status == JobStatus.FAILED and "不能导入" in job.message
    assert stored() == []


@pytest.mark.django_db
def test_jobs_left_running_by_a_dead_worker_are_queued_again(world):
    job = queue(world.users["town_admin"], make_xlsx([member_row(world)]))
    jobs.claim(job)
    assert jobs.requeue_stale() == 0
    later = timezone.now() + jobs.stale_after() + dt.timedelta(seconds=1)
    assert jobs.requeue_stale(now=later) == 1
    assert ImportJob.unscoped.get(pk=job.pk).status == JobStatus.QUEUED_CHECK
    assert f"{job.pk} 党员.xlsx: checked" in run_queued(), "queued again with a task"


@pytest.mark.django_db
def test_a_checked_file_nobody_confirms_expires_with_its_staged_rows(world):
    job = jobs.run_job(queue(world.users["town_admin"], make_xlsx([member_row(world)])))
    later = timezone.now() + jobs.UNCONFIRMED_FOR + dt.timedelta(hours=1)
    assert jobs.expire_unconfirmed(now=later) >= 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "7天内无人确认" in job.message
    assert stored() == []


@pytest.mark.django_db
def test_a_tampered_stage_file_is_not_loaded(world):
    user = world.users["town_admin"]
    job = jobs.run_job(queue(user, make_xlsx([member_row(world)])))
    stage = files.stage_path(job.pk)
    data = bytearray(stage.read_bytes())
    data[10] ^= 1
    stage.write_bytes(bytes(data))
    jobs.confirm(job, Actor(user))
    job = jobs.run_job(job)
    assert job.status == JobStatus.FAILED and "已不存在" in job.message
    assert not Member.unscoped.filter(name="孙丽").exists()


@pytest.mark.django_db
def test_the_worker_command_runs_what_is_queued_and_exits_with_once(world):
    job = queue(world.users["town_admin"], make_xlsx([member_row(world)]))
    first = run_queued()
    assert f"{job.pk} 党员.xlsx: checked" in first and "task(s)" in first
    assert str(job.pk) not in run_queued()


@pytest.mark.django_db
def test_another_organizations_job_answers_404_on_every_page(world, client):
    job = queue(world.users["town_admin"], make_xlsx([member_row(world)]))
    client.force_login(world.users["outsider"])
    for name in ("member_import_job", "member_import_status", "member_import_errors"):
        assert client.get(reverse(f"control:{name}", kwargs={"pk": job.pk})).status_code == 404
    saved = client.post(reverse("control:member_import_save", kwargs={"pk": job.pk}))
    assert saved.status_code == 404
    assert ImportJob.unscoped.get(pk=job.pk).status == JobStatus.QUEUED_CHECK
    client.force_login(world.users["outsider"])
    recent = client.get(reverse("control:member_import")).context["recent"]
    assert job not in list(recent)


@pytest.mark.django_db
def test_the_import_benchmark_prints_import_floor_and_ratio_and_keeps_nothing():
    out = io.StringIO()
    call_command("bench", "import", "--rows", "300", "--runs", "1", stdout=out)
    text = out.getvalue()
    assert "end to end (upload + check + save)" in text and "floor" in text and "ratio" in text
    assert Member.unscoped.count() == 0 and Region.unscoped.count() == 0


# Pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_check_confirm_and_done_through_the_pages(world, client):
    client.force_login(world.users["branch_secretary"])
    page = client.get(reverse("control:member_import"))
    assert page.status_code == 200 and "导入党员信息" in page.content.decode()
    upload = io.BytesIO(make_xlsx([member_row(world)]))
    upload.name = "党员.xlsx"
    response = client.post(reverse("control:member_import"), {"file": upload})
    job = ImportJob.unscoped.get(filename="党员.xlsx")
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    waiting = client.get(response["Location"]).content.decode()
    assert "data-import-status-url" in waiting and "import.js" in waiting
    run_queued()
    status = client.get(reverse("control:member_import_status", kwargs={"pk": job.pk})).json()
    assert status | {"label": ""} == {
        "status": "checked", "label": "", "running": False, "total": 1, "processed": 1,
        "percent": 100, "errors": 0, "message": "",
    }  # fmt: skip
    assert "全部 1 行均无误" in client.get(response["Location"]).content.decode()
    saved = client.post(reverse("control:member_import_save", kwargs={"pk": job.pk}))
    assert saved.status_code == 302
    run_queued()
    done = client.get(response["Location"]).content.decode()
    assert "已导入 1 名党员" in done and reverse("control:member_list") in done
    assert Member.unscoped.get(name="孙丽").org == world.branch_a


@pytest.mark.django_db
def test_the_upload_page_refuses_a_bad_file_in_chinese(world, client):
    client.force_login(world.users["town_admin"])
    upload = io.BytesIO(b"MZ\x90\x00")
    upload.name = "tool.exe"
    response = client.post(reverse("control:member_import"), {"file": upload})
    assert response.status_code == 200
    assert "只能导入 Excel 工作簿" in response.content.decode()
    assert not ImportJob.unscoped.filter(filename="tool.exe").exists()


@pytest.mark.django_db
def test_an_oversized_upload_is_stopped_before_it_is_stored(world, client, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_MAX_BYTES", "2000")
    client.force_login(world.users["town_admin"])
    upload = io.BytesIO(b"a" * 5000)
    upload.name = "big.csv"
    response = client.post(reverse("control:member_import"), {"file": upload})
    assert "文件超过 1 MB" in response.content.decode()
    assert not ImportJob.unscoped.filter(filename="big.csv").exists()


@pytest.mark.django_db
def test_the_problem_list_pages_and_the_error_report_is_formula_safe(world, client):
    rows = [member_row(world, name='=HYPERLINK("http://x")', org="@SUM(1)")]
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    client.force_login(world.users["town_admin"])
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    assert "未知党组织" in page.content.decode() and page.context["page"].paginator.count == 1
    report = client.get(reverse("control:member_import_errors", kwargs={"pk": job.pk}))
    cells = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    values = cells.to_python()
    assert values[0] == ["工作表", "行号", "列", "内容", "问题"]
    assert values[1][1:4] == [2.0, "组织关系所在党组织", "@SUM(1)"]
    cell = openpyxl.load_workbook(io.BytesIO(report.content)).active["D2"]
    assert cell.data_type == "s" and cell.quotePrefix  # shown as text, never run


@pytest.mark.django_db
def test_the_template_has_every_column_an_example_that_passes_and_the_instructions(world):
    book = CalamineWorkbook.from_filelike(io.BytesIO(template_xlsx()))
    assert book.sheet_names == ["党员信息", "填写说明"]
    header, example = book.get_sheet_by_index(0).to_python()[:2]
    assert header == HEADERS
    instructions = str(book.get_sheet_by_name("填写说明").to_python())
    assert "土家族" in instructions and "预备党员" in instructions and "流入" in instructions
    assert "2024年7月1日" in instructions
    assert example[HEADERS.index("公民身份号码*")] == "320411198506150017"


@pytest.mark.django_db
def test_the_import_pages_in_the_url_matrix_answer_each_role_as_expected(world, client):
    """The matrix rows of IMPORT_MATRIX, run here too with the world's import jobs."""
    from tests import test_url_matrix as matrix

    if not hasattr(world, "import_job_a"):
        add_import_jobs(world)
    failures = []
    for name in IMPORT_MATRIX:
        route = IMPORT_MATRIX[name]
        for target in matrix._cases(name, route):
            kwargs = {target.kwarg: matrix._resolve(world, target)} if target else {}
            url = reverse(name, kwargs=kwargs)
            for role in matrix.ROLES:
                client.force_login(world.users[role])
                status = getattr(client, route.method)(url).status_code
                if status != matrix._expected(role, route, target):
                    failures.append(f"{role} {url}: {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_upload_form_keeps_its_csrf_protection(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["town_admin"])
    client.get(reverse("control:member_import"))
    upload = io.BytesIO(make_xlsx([member_row(world)]))
    upload.name = "党员.xlsx"
    refused = client.post(reverse("control:member_import"), {"file": upload})
    assert refused.status_code == 403
    upload.seek(0)
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        reverse("control:member_import"), {"csrfmiddlewaretoken": token, "file": upload}
    )
    assert accepted.status_code == 302
