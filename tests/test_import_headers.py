"""Real rosters' headers: the aliases per field, unknown columns that stop the check until the
user maps or ignores them (remembered per organization), and rows that are not members."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.members.import_models import HeaderMapping, ImportJob, JobStatus
from heli.members.imports import files, jobs, setup
from heli.members.imports.columns import BY_KEY, COLUMNS
from heli.members.imports.headers import ALIASES, IGNORE, field_of, normalize_header, suggest
from heli.members.imports.report import ErrorReport
from heli.members.models import Member
from tests.factories import make_id_number
from tests.sheets import read

BORN = dt.date(1986, 3, 9)


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def roster(headers: list[str], rows: list[list], sheet: str = "花名册") -> bytes:
    """A town's roster as it comes: its own headers, then rows of text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    page = book.add_worksheet(sheet)
    page.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value != "":
                page.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


HEADERS = ["姓名", "民族", "出生年月", "身份证号码", "文化程度", "入党时间", "人员类别",
           "转正时间", "所在党支部", "联系电话"]  # fmt: skip


def person(world, n: int = 0, **values) -> list:
    born = BORN + dt.timedelta(days=n)
    row = {
        "姓名": f"王{'一二三四五六七八九'[n % 9]}", "民族": "汉族", "出生年月": born.isoformat(),
        "身份证号码": make_id_number(born), "文化程度": "大专", "入党时间": "2012-07-01",
        "人员类别": "正式党员", "转正时间": "2013-07-01", "所在党支部": world.branch_a.name,
        "联系电话": "13912340000",
    }  # fmt: skip
    row.update(values)
    return row


def rows_of(headers: list[str], people: list[dict]) -> list[list]:
    return [[p.get(h, "") for h in headers] for p in people]


def upload(user, content: bytes, name: str = "花名册.xlsx") -> ImportJob:
    return jobs.run_job(jobs.create_job(user, [content], name, "zh-hans"))


def save(job: ImportJob) -> ImportJob:
    assert job.status == JobStatus.CHECKED, job.errors or job.message
    jobs.confirm(job, Actor(user=job.created_by))
    return jobs.run_job(job)


# The aliases ---------------------------------------------------------------------------

SAME_FIELD = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证号码(18位)"),
    "birth_date": ("出生年月", "出生日期"),
    "joined_on": ("入党时间", "入党日期", "加入党组织日期"),
    "full_on": ("转正时间", "转正日期", "转为正式党员日期"),
    "education": ("文化程度", "学历"),
    "org": ("所在支部", "所在党支部", "组织关系所在党组织"),
    "phone": ("手机", "联系电话", "手机号码", "联系电话（手机）"),
    "membership": ("人员类别", "党员类别"),
}


@pytest.mark.parametrize(
    ("key", "header"), [(key, h) for key, headers in SAME_FIELD.items() for h in headers]
)
def test_headers_real_rosters_use_mean_the_template_field(key, header):
    assert field_of(normalize_header(header)) == key


def test_every_alias_means_one_field_and_every_field_has_its_template_header():
    seen: dict[str, str] = {}
    for key, variants in ALIASES.items():
        for variant in variants:
            assert seen.setdefault(normalize_header(variant), key) == key, variant
    assert {c.key for c in COLUMNS} == set(ALIASES)
    assert all(ALIASES[c.key][0] == c.header for c in COLUMNS)


def test_an_unknown_header_gets_the_closest_field_as_a_suggestion():
    assert suggest("入党年月日") == "joined_on"
    assert suggest("本人手机号码") == "phone"
    assert suggest("家庭住址") == ""


@pytest.mark.django_db
def test_a_roster_headed_zhuanzheng_shijian_imports_the_full_membership_date(world):
    people = [person(world, 0), person(world, 1, 转正时间="2014-05-20", 入党时间="2013-05-20")]
    job = save(upload(world.users["town_admin"], roster(HEADERS, rows_of(HEADERS, people))))
    assert job.status == JobStatus.DONE, job.errors or job.message
    stored = dict(Member.unscoped.filter(name__in=["王一", "王二"]).values_list("name", "full_on"))
    assert stored == {"王一": dt.date(2013, 7, 1), "王二": dt.date(2014, 5, 20)}


# Unknown columns -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_column_stops_the_check_until_the_user_answers(world):
    headers = [*HEADERS, "家庭住址", "入党介绍人"]
    people = [person(world, 0, 家庭住址="横林镇崔桥村", 入党介绍人="李四")]
    job = upload(world.users["town_admin"], roster(headers, rows_of(headers, people)))
    assert job.status == JobStatus.NEEDS_SETUP
    assert [header for _p, header, _s in job.header_setup["unknown"]] == ["家庭住址", "入党介绍人"]
    assert job.header_setup["missing"] == []
    assert files.upload_path(job.pk).exists()  # kept for the check after the answer
    assert not Member.unscoped.filter(name="王一").exists()


@pytest.mark.django_db
def test_an_answer_maps_or_ignores_the_columns_and_is_remembered_for_the_organization(world):
    user = world.users["town_admin"]
    headers = ["姓名", "民族", "出生年月", "身份证号码", "文化程度", "入党年月日", "所在党支部",
               "家庭住址"]  # fmt: skip
    people = [person(world, 0, 入党年月日="2011-06-30", 家庭住址="崔桥村")]
    job = upload(user, roster(headers, rows_of(headers, people)))
    assert job.status == JobStatus.NEEDS_SETUP
    assert job.header_setup["missing"] == ["joined_on"]
    suggested = {header: s for _p, header, s in job.header_setup["unknown"]}
    assert suggested["入党年月日"] == "joined_on"

    with activate(user.scope()):
        assert setup.answer(
            job, Actor(user=user), "", {"入党年月日": "joined_on", "家庭住址": IGNORE}
        )
    job = save(jobs.run_job(job))
    assert job.status == JobStatus.DONE
    assert Member.unscoped.get(name="王一").joined_on == dt.date(2011, 6, 30)
    assert dict(HeaderMapping.unscoped.filter(org=user.org).values_list("header", "field")) == {
        "入党年月日": "joined_on",
        "家庭住址": IGNORE,
    }

    # The next roster of the same shape goes straight through, the mapping shown on the page.
    again = upload(
        user, roster(headers, rows_of(headers, [person(world, 1, 入党年月日="2011-07-01")]))
    )
    assert again.status == JobStatus.CHECKED, again.errors
    assert again.mapping == {"入党年月日": "joined_on", "家庭住址": IGNORE}


@pytest.mark.django_db
def test_another_organizations_choices_do_not_apply(world):
    HeaderMapping.unscoped.create(org=world.users["outsider"].org, header="家庭住址", field="")
    headers = [*HEADERS, "家庭住址"]
    job = upload(world.users["town_admin"], roster(headers, rows_of(headers, [person(world)])))
    assert job.status == JobStatus.NEEDS_SETUP


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"入党年月日": IGNORE, "家庭住址": IGNORE}, "还缺少以下必填列：入党日期"),
        ({"入党年月日": "joined_on", "家庭住址": "joined_on"}, "都被选为入党日期"),
        ({"入党年月日": "joined_on", "家庭住址": "name"}, "文件中已有姓名列"),
        ({"入党年月日": "joined_on"}, "请为每一列选择"),
    ],
)
def test_answers_that_would_lose_or_double_a_field_are_refused(world, choices, message):
    user = world.users["town_admin"]
    headers = ["姓名", "民族", "出生年月", "身份证号码", "文化程度", "入党年月日", "所在党支部",
               "家庭住址"]  # fmt: skip
    job = upload(user, roster(headers, rows_of(headers, [person(world, 入党年月日="2011-06-30")])))
    with (
        activate(user.scope()),
        translation.override("zh-hans"),
        pytest.raises(ValidationError) as refused,
    ):
        setup.answer(job, Actor(user=user), "", choices)
    assert message in " ".join(refused.value.messages)
    job.refresh_from_db()
    assert job.status == JobStatus.NEEDS_SETUP
    assert not HeaderMapping.unscoped.exists()


@pytest.mark.django_db
def test_the_job_page_asks_about_each_unknown_column_and_takes_the_answer(world, client):
    user = world.users["town_admin"]
    headers = [*HEADERS, "家庭住址"]
    job = upload(user, roster(headers, rows_of(headers, [person(world)])))
    client.force_login(user)
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    assert page.status_code == 200
    form = page.context["setup_form"]
    assert [(header, hint) for header, _field, hint in form.column_fields] == [("家庭住址", "")]
    assert "家庭住址" in page.content.decode()

    url = reverse("control:member_import_setup", kwargs={"pk": job.pk})
    unanswered = client.post(url, {})
    assert unanswered.status_code == 200
    assert "请为“家庭住址”选择" in unanswered.content.decode()
    desk = {item.key: item for item in client.get("/").context["todos"]}
    assert desk[f"import-{job.pk}"].label == "导入文件待确认表头：花名册.xlsx"
    answered = client.post(url, {f"column_{len(HEADERS)}": "ignore"})
    assert answered.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED_CHECK and job.mapping == {"家庭住址": IGNORE}
    assert job.attempts == 0  # the check after an answer starts its count of attempts anew
    job = jobs.run_job(job)
    assert job.status == JobStatus.CHECKED
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    assert "家庭住址 → 已忽略" in page.content.decode()


# Rows that are not members -------------------------------------------------------------


@pytest.mark.django_db
def test_the_templates_example_row_is_skipped_with_a_warning(world):
    headers = [c.header for c in COLUMNS]
    example = [c.example for c in COLUMNS]
    mine = {"name": "王一", "ethnicity": "汉族", "birth_date": BORN.isoformat(),
            "id_number": make_id_number(BORN), "education": "大学本科", "joined_on": "2012-07-01",
            "full_on": "2013-07-01", "org": world.branch_a.name}  # fmt: skip
    row = [mine.get(column.key, "") for column in COLUMNS]
    job = upload(world.users["town_admin"], roster(headers, [example, row]))
    assert job.status == JobStatus.CHECKED, job.errors
    assert job.total_rows == 1 and job.new_rows == 1
    assert any("第2行" in w and "示例" in w for w in job.warnings), job.warnings
    assert BY_KEY["id_number"].example not in str(job.errors)


@pytest.mark.django_db
def test_footer_and_total_lines_are_recognised_not_reported_as_errors(world):
    body = rows_of(HEADERS, [person(world, 0), person(world, 1)])
    footer = [
        ["合计：2人"],
        [],
        ["填报人：张三", "", "审核人：李四"],
        ["", "填报日期：2026年11月30日"],
    ]
    job = upload(world.users["town_admin"], roster(HEADERS, [*body, *footer]))
    assert job.status == JobStatus.CHECKED, job.errors
    assert job.total_rows == 2
    assert any("4、6、7" in w and "表尾" in w for w in job.warnings), job.warnings


@pytest.mark.django_db
def test_content_in_a_column_without_a_header_is_named_in_a_warning(world):
    body = rows_of(HEADERS, [person(world)])
    body[0] += ["", "另有说明"]
    job = upload(world.users["town_admin"], roster(HEADERS, body))
    assert job.status == JobStatus.CHECKED, job.errors
    assert any("L" in w and "没有表头" in w for w in job.warnings), job.warnings


@pytest.mark.django_db
def test_the_error_report_names_the_sheet_and_carries_the_warnings(world):
    body = rows_of(HEADERS, [person(world, 0, 姓名=""), person(world, 1)])
    job = upload(world.users["town_admin"], roster(HEADERS, [*body, ["合计：2人"]]))
    assert job.status == JobStatus.INVALID
    sheet = read(ErrorReport(job).to_xlsx())
    assert sheet.header[0] == "工作表"
    assert sheet.rows[0][:3] == [job.sheet or "", 2, "姓名"]
    assert any("表尾" in str(row[-1]) for row in sheet.rows)


# Several sheets ------------------------------------------------------------------------


def two_sheets(world) -> bytes:
    """A workbook whose first sheet is a summary and whose second holds the members."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.add_worksheet("汇总").write_row(0, 0, ["支部", "人数"])
    members = book.add_worksheet("党员名单")
    members.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows_of(HEADERS, [person(world, 0), person(world, 1, 姓名="")]), 1):
        members.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_workbook_with_several_sheets_waits_for_the_user_to_pick_one(world, client):
    user = world.users["town_admin"]
    job = upload(user, two_sheets(world))
    assert job.status == JobStatus.NEEDS_SETUP
    assert job.sheets == ["汇总", "党员名单"]
    client.force_login(user)
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    assert list(page.context["setup_form"].fields["sheet"].choices) == [
        ("汇总", "汇总"),
        ("党员名单", "党员名单"),
    ]
    answered = client.post(
        reverse("control:member_import_setup", kwargs={"pk": job.pk}), {"sheet": "党员名单"}
    )
    assert answered.status_code == 302
    job = jobs.run_job(ImportJob.unscoped.get(pk=job.pk))
    # The chosen sheet is read, and every message names it.
    assert job.status == JobStatus.INVALID and job.sheet == "党员名单"
    assert [tuple(e[:2]) for e in job.errors] == [(3, "姓名")]
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    assert "读取的工作表：党员名单" in page.content.decode()
    assert read(ErrorReport(job).to_xlsx()).rows[0][0] == "党员名单"


@pytest.mark.django_db
def test_a_sheet_without_a_header_is_refused_naming_the_sheet(world):
    user = world.users["town_admin"]
    job = upload(user, two_sheets(world))
    with activate(user.scope()):
        setup.answer(job, Actor(user=user), "汇总", {})
    job = jobs.run_job(ImportJob.unscoped.get(pk=job.pk))
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("工作表“汇总”：")
