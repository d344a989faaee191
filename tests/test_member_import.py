"""Importing members from Excel and CSV: header matching, every row rule, file refusals,
all-or-nothing saving, values identical to the ORM's, and the pages from upload to done."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
import xlsxwriter
from django.db import connection
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.members import services
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import files, jobs, pipeline, writer
from heli.members.imports.columns import COLUMNS, HEADER_OF
from heli.members.imports.headers import normalize_header
from heli.members.models import Member, MemberChange
from tests.factories import MemberFactory, PartyOrgFactory, make_id_number

BORN = dt.date(1985, 6, 15)
HEADERS = [c.header + ("*" if c.required else "") for c in COLUMNS]


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def member_row(world, **values) -> dict:
    """A valid row of the template, by column key; `values` override."""
    row = {
        "name": "孙丽", "ethnicity": "汉族", "birth_date": "1985-06-15",
        "id_number": make_id_number(BORN), "phone": "13912345678", "education": "大学本科",
        "joined_on": "2010-07-01", "full_on": "2011-07-01", "org": world.branch_a.name,
        "residence_grid": world.grid_a.name,
    }  # fmt: skip
    row.update(values)
    return row


def make_xlsx(rows: list[dict], headers: list[str] = HEADERS, title: str | None = None) -> bytes:
    """A workbook with the header row (below an optional title row) and `rows` as strings,
    except values that are not strings (dates, numbers), written as Excel stores them."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("党员信息")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    top = 0
    if title:
        sheet.write_string(0, 0, title)
        top = 1
    sheet.write_row(top, 0, headers)
    keys = [_key(h) for h in headers]
    for r, row in enumerate(rows, start=top + 1):
        for c, key in enumerate(keys):
            value = row.get(key, "")
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), dates)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def make_csv(rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(HEADERS)
    keys = [c.key for c in COLUMNS]
    for row in rows:
        out.writerow([row.get(k, "") for k in keys])
    return buffer.getvalue().encode(encoding)


def _key(header: str) -> str | None:
    return next((c.key for c in COLUMNS if c.header == normalize_header(header)), None)


def run_check(user, content: bytes, name: str = "党员.xlsx") -> ImportJob:
    job = jobs.create_job(user, [content], name, "zh-hans")
    return jobs.run_job(job)


def stored() -> list[str]:
    folder = files.import_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def problems(job: ImportJob) -> list[tuple]:
    return [tuple(e) for e in job.errors]


def problem_text(job: ImportJob) -> str:
    return "\n".join(" ".join(map(str, e)) for e in job.errors)


# Headers -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_headers_match_in_any_order_with_spaces_and_stars(world):
    row = member_row(world)
    headers = [" 民族 ", "备注", "姓名 *", "公民身份号码", "出生日期*", "学历", "入党日期",
               "组织关系所在党组织＊"]  # fmt: skip
    job = run_check(world.users["town_admin"], make_xlsx([row], headers))
    assert job.status == JobStatus.CHECKED, problem_text(job)
    assert job.total_rows == 1


@pytest.mark.django_db
def test_a_missing_required_column_is_one_clear_file_level_problem(world):
    headers = [h for h in HEADERS if not h.startswith(("民族", "学历"))]
    job = run_check(world.users["town_admin"], make_xlsx([member_row(world)], headers))
    assert job.status == JobStatus.FAILED
    assert "缺少以下必填列：民族、学历" in job.message


@pytest.mark.django_db
def test_a_title_row_above_the_header_shifts_row_numbers_as_in_excel(world):
    rows = [member_row(world), member_row(world, name="")]
    job = run_check(world.users["town_admin"], make_xlsx(rows, title="崔桥村党员信息表"))
    assert problems(job) == [(4, "姓名", "", "此列必填。")]


# Rows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "column", "reason"),
    [
        ({"name": ""}, "姓名", "此列必填"),
        ({"name": "张" * 51}, "姓名", "最多 50 个字"),
        ({"ethnicity": "火星族"}, "民族", "不是允许的值"),
        ({"education": "幼儿园"}, "学历", "不是允许的值"),
        ({"membership": "积极分子"}, "党员类别", "正式党员、预备党员"),
        ({"status": "失联"}, "党员状态", "不是允许的值"),
        ({"joined_on": "2010-13-01"}, "入党日期", "不是日期"),
        ({"joined_on": "去年"}, "入党日期", "不是日期"),
        ({"joined_on": "1980-01-01"}, "入党日期", "入党日期必须晚于出生日期"),
        ({"full_on": "2009-01-01"}, "转正日期", "入党后才能转为正式党员"),
        ({"id_number": "32041119850615001"}, "公民身份号码", "18 位"),
        ({"id_number": "3204111985061500AX"}, "公民身份号码", "17位数字"),
        ({"id_number": "320411198513150017"}, "公民身份号码", "不是有效日期"),
        ({"id_number": "320411198506150018"}, "公民身份号码", "校验码"),
        ({"id_number": 3.20411198506150e17}, "公民身份号码", "存成了数字"),
        ({"birth_date": "1985-06-16"}, "出生日期", "出生日期与公民身份号码不一致"),
        ({"phone": "1381234567"}, "手机号码", "不是有效的大陆手机号码"),
        ({"org": "不存在的党支部"}, "组织关系所在党组织", "未知党组织"),
        ({"residence_grid": "不存在的网格"}, "居住网格", "未知网格"),
        ({"reported_to": "不存在的社区"}, "报到社区", "未知社区"),
        ({"industry_chain": "横林家居企业党支部"}, "所属产业链", "未知产业链"),
        ({"status": "流动"}, "流动方向", "流动党员须填写流动方向"),
        ({"status": "流动", "floating_direction": "流出"}, "流出/流入地", "流出地或流入地"),
        ({"floating_direction": "流入"}, "党员状态", "只有流动党员"),
        ({"reported_on": "2024-07-01"}, "报到社区", "报到的社区"),
        ({"org": "三都县石板村党支部", "residence_grid": ""}, "组织关系所在党组织", "区外"),
    ],
)
@pytest.mark.django_db
def test_each_rule_reports_row_column_value_and_reason_in_chinese(world, values, column, reason):
    rows = [member_row(world), member_row(world, **{"name": "王芳", **values})]
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert job.status == JobStatus.INVALID
    found = [e for e in job.errors if e[1] == column]
    assert found, problem_text(job)
    assert found[0][0] == 3 and reason in found[0][3], problem_text(job)
    assert Member.unscoped.filter(name="王芳").count() == 0


@pytest.mark.django_db
def test_id_numbers_and_phones_are_masked_in_the_problem_list(world):
    good = make_id_number(BORN)
    bad_id = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [member_row(world, id_number=bad_id, phone="13912345")]
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    shown = {e[1]: e[2] for e in job.errors}
    assert shown["公民身份号码"] == "*" * 16 + bad_id[-2:]
    assert shown["手机号码"] == "139***45"
    assert bad_id not in str(job.errors) and "13912345" not in str(job.errors)


@pytest.mark.parametrize(
    "cell",
    [BORN, 31213, "31213", "1985-06-15", "1985/6/15", "1985.6.15", "1985年6月15日",
     "19850615", "１９８５－０６－１５", "1985-06-15 00:00:00"],
)  # fmt: skip
@pytest.mark.django_db
def test_every_usual_date_spelling_and_excel_serial_dates_are_read(world, cell):
    job = run_check(world.users["town_admin"], make_xlsx([member_row(world, birth_date=cell)]))
    assert job.status == JobStatus.CHECKED, problem_text(job)


@pytest.mark.django_db
def test_full_width_digits_lower_case_x_and_labels_or_codes_are_accepted(world):
    number = make_id_number(BORN, "F")
    while not number.endswith("X"):
        number = make_id_number(BORN, "F")
    wide = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    joined = (timezone.localdate() - dt.timedelta(days=30)).isoformat()  # still on probation
    rows = [
        member_row(world, id_number=wide, ethnicity="汉", gender="F", education="bachelor",
                   status="floating", floating_direction="in", floating_place="安徽省",
                   occupation="快递员", membership="预备党员", joined_on=joined, full_on=""),
    ]  # fmt: skip
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert job.status == JobStatus.CHECKED, problem_text(job)


@pytest.mark.django_db
def test_the_same_id_twice_in_a_file_names_both_rows(world):
    number = make_id_number(BORN)
    rows = [member_row(world, id_number=number), member_row(world), member_row(world)]
    rows[2]["id_number"] = number
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert [(e[0], e[3]) for e in job.errors] == [
        (2, "第 2 行和第 4 行的公民身份号码相同。"),
        (4, "第 2 行和第 4 行的公民身份号码相同。"),
    ]


@pytest.mark.django_db
def test_an_id_already_in_the_zone_is_refused_even_when_deleted_or_outside_the_scope(world):
    deleted = MemberFactory(org=world.branch_a)
    services.delete_member(Actor.system(), deleted, "重复录入")
    number_b = make_id_number(BORN)
    MemberFactory(org=world.branch_b, id_number=number_b)
    number_deleted = unseal(Member.unscoped.get(pk=deleted.pk), "id_cipher")
    rows = [member_row(world, id_number=number_b), member_row(world, id_number=number_deleted)]
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert [e[3] for e in job.errors] == [
        "该公民身份号码的党员已在区内其他组织登记，不在您的管理范围内，不能通过您的文件新增或修改。",
        "该公民身份号码的党员记录已被删除，请联系区级管理员恢复该记录，不要重复导入。",
    ]
    assert "剑湖" not in problem_text(job), "the other town is not disclosed"


@pytest.mark.django_db
def test_a_town_admin_cannot_import_into_another_towns_organization(world):
    rows = [member_row(world, org=world.branch_b.name, residence_grid="")]
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert "未知党组织“剑湖村第1网格党支部”" in problem_text(job)
    job = run_check(world.users["outsider"], make_xlsx([member_row(world)]))
    assert "未知党组织“崔桥村第1网格党支部”" in problem_text(job)


@pytest.mark.django_db
def test_an_ambiguous_name_asks_for_the_unique_name_and_the_qualified_one_works(world):
    PartyOrgFactory(name=world.branch_a.name, region=world.grid_a2, parent=world.village_b_org)
    rows = [member_row(world)]
    job = run_check(world.users["district_admin"], make_xlsx(rows))
    assert "有多个党组织名为“崔桥村第1网格党支部”" in problem_text(job)
    assert "崔桥村党总支/崔桥村第1网格党支部" in problem_text(job)
    rows = [member_row(world, org="崔桥村党总支/崔桥村第1网格党支部")]
    job = run_check(world.users["district_admin"], make_xlsx(rows))
    assert job.status == JobStatus.CHECKED, problem_text(job)


@pytest.mark.django_db
def test_a_member_of_an_industry_chain_and_reported_to_a_village_is_accepted(world):
    chain = PartyOrgFactory(name="绿色家居产业链党委", category="industry_chain",
                            region=world.town_a, parent=world.town_a_org)  # fmt: skip
    rows = [member_row(world, industry_chain=chain.name, reported_to=world.village_a.name,
                       reported_on="2024-07-01")]  # fmt: skip
    job = run_check(world.users["town_admin"], make_xlsx(rows))
    assert job.status == JobStatus.CHECKED, problem_text(job)


# Files ---------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"name,id\n", "members.txt", "只能导入 Excel 工作簿"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "members.xlsx", "不是 Excel 工作簿"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "members.csv", "二进制数据"),
        (_zip({"word/document.xml": b"<w/>"}), "members.xlsx", "不是 Excel 工作簿"),
        (b"\xff\xfe\xfa\xfb" * 10, "members.csv", "既不是 UTF-8 也不是 GB18030"),
        (b"", "members.csv", "文件是空的"),
    ],
)
@pytest.mark.django_db
def test_files_that_are_not_spreadsheets_are_refused_and_nothing_is_kept(
    world, content, name, reason
):
    with pytest.raises(files.FileRefused, match=reason):
        jobs.create_job(world.users["town_admin"], [content], name, "zh-hans")
    assert not ImportJob.unscoped.filter(filename=name).exists()
    assert not stored()


@pytest.mark.django_db
def test_a_zip_bomb_is_refused(world):
    bomb = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>",
                 "xl/worksheets/sheet1.xml": b"\0" * (20 * 1024 * 1024)})  # fmt: skip
    with pytest.raises(files.FileRefused, match="压缩炸弹"):
        jobs.create_job(world.users["town_admin"], [bomb], "bomb.xlsx", "zh-hans")


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_while_it_is_stored(world, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_MAX_BYTES", "1000")
    content = make_xlsx([member_row(world)] * 5)
    with pytest.raises(files.FileRefused, match="文件超过 1 MB"):
        jobs.create_job(world.users["town_admin"], [content[:600], content[600:]], "a.xlsx", "")
    assert not stored()


@pytest.mark.django_db
def test_an_empty_sheet_and_a_header_without_rows_fail_with_a_message(world):
    job = run_check(world.users["town_admin"], make_xlsx([], headers=[]))
    assert job.status == JobStatus.FAILED and "工作表是空的" in job.message
    job = run_check(world.users["town_admin"], make_xlsx([]))
    assert job.status == JobStatus.INVALID and "只有标题行" in problem_text(job)


@pytest.mark.django_db
def test_more_rows_than_allowed_are_refused(world, monkeypatch):
    monkeypatch.setattr("heli.members.imports.reader.MAX_ROWS", 2)
    job = run_check(world.users["town_admin"], make_xlsx([member_row(world)] * 3))
    assert job.status == JobStatus.FAILED and "超过 2 行" in job.message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
@pytest.mark.django_db
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030_is_read(world, encoding):
    content = make_csv([member_row(world, name="䶮丽")], encoding)  # 䶮: outside GBK
    job = run_check(world.users["town_admin"], content, "党员.csv")
    assert job.status == JobStatus.CHECKED, problem_text(job)
    jobs.confirm(job, Actor(world.users["town_admin"]))
    jobs.run_job(job)
    assert Member.unscoped.get(name="䶮丽").org == world.branch_a


# Saving --------------------------------------------------------------------------------


def _check_and_save(world, rows, role="town_admin") -> ImportJob:
    user = world.users[role]
    job = run_check(user, make_xlsx(rows))
    assert job.status == JobStatus.CHECKED, problem_text(job)
    assert jobs.confirm(job, Actor(user, ip_address="10.0.0.8"))
    return jobs.run_job(job)


@pytest.mark.django_db
def test_a_valid_file_is_saved_whole_with_history_and_one_audit_entry(world):
    rows = [member_row(world, name=f"党员{i}", id_number=make_id_number(BORN)) for i in range(3)]
    job = _check_and_save(world, rows)
    assert job.status == JobStatus.DONE and job.imported_rows == 3
    assert Member.unscoped.filter(changes__action="import").count() == 3
    changes = MemberChange.objects.filter(action="import")
    assert changes.count() == 3 and changes.first().fields == {"job": str(job.pk)}
    assert changes.first().user == world.users["town_admin"]
    entry = AuditEntry.unscoped.get(action="member.import")
    assert entry.detail == {"created": 3, "updated": 0, "file": "党员.xlsx", "job": str(job.pk)}
    assert entry.ip_address == "10.0.0.8"
    assert not stored(), "no file with ID numbers is left behind"


@pytest.mark.django_db
def test_the_history_rows_of_an_import_are_sealed_as_the_orm_seals_one(world):
    from heli.core import seal

    rows = [member_row(world, name=f"党员{i}", id_number=make_id_number(BORN)) for i in range(3)]
    _check_and_save(world, rows)
    changes = list(MemberChange.objects.filter(action="import"))
    assert len(changes) == 3 and all(seal.seal_of(c) == c.seal for c in changes)
    assert len({c.seal for c in changes}) == 3


@pytest.mark.django_db
def test_an_imported_member_is_stored_exactly_as_the_orm_stores_one(world):
    data = member_row(world, gender="", phone="13912345678", employer="某公司",
                      occupation="工人", status="流动", floating_direction="流出",
                      floating_place="上海市", floating_since="2023-03-01")  # fmt: skip
    _check_and_save(world, [data])
    imported = Member.unscoped.get(name="孙丽")
    made = services.create_member(
        Actor(world.users["town_admin"]),
        {"name": "孙丽", "id_number": make_id_number(BORN), "phone": "13912345678",
         "ethnicity": "汉族", "birth_date": BORN, "education": "bachelor",
         "joined_on": dt.date(2010, 7, 1), "full_on": dt.date(2011, 7, 1),
         "org": world.branch_a, "residence_grid": world.grid_a, "employer": "某公司",
         "occupation": "worker",
         "status": "floating", "floating_direction": "out", "floating_place": "上海市",
         "floating_since": dt.date(2023, 3, 1)},
    )  # fmt: skip
    skip = {"id", "id_cipher", "id_digest", "id_mask", "id_tail_digest", "phone_cipher",
            "created_at", "updated_at", "gender"}  # fmt: skip
    for field in Member._meta.concrete_fields:
        if field.attname not in skip:
            assert getattr(imported, field.attname) == getattr(made, field.attname), field.name
    assert imported.gender == ("M" if int(data["id_number"][16]) % 2 else "F")
    assert unseal(imported, "id_cipher") == data["id_number"]
    assert unseal(imported, "phone_cipher") == "13912345678"
    assert imported.version == 1 and imported.created_at == imported.updated_at
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at, birth_date, id_cipher FROM members_member WHERE id IN (%s, %s)"
            " ORDER BY id",
            [imported.pk, made.pk],
        )
        raw_imported, raw_made = cursor.fetchall()
    assert [type(v) for v in raw_imported] == [type(v) for v in raw_made]
    if connection.vendor == "sqlite":  # what is on disk: the ORM's text forms
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CAST(created_at AS TEXT), CAST(birth_date AS TEXT), typeof(id_cipher)"
                " FROM members_member WHERE id IN (%s, %s) ORDER BY id",
                [imported.pk, made.pk],
            )
            on_disk = cursor.fetchall()
        stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$")
        assert all(stamp.match(row[0]) for row in on_disk)
        assert [row[1:] for row in on_disk] == [("1985-06-15", "blob")] * 2


@pytest.mark.django_db
def test_a_failure_midway_through_the_save_leaves_the_registry_unchanged(world, monkeypatch):
    rows = [member_row(world, name=f"党员{i}", id_number=make_id_number(BORN)) for i in range(3)]
    user = world.users["town_admin"]
    job = run_check(user, make_xlsx(rows))
    jobs.confirm(job, Actor(user))
    before = (Member.unscoped.count(), MemberChange.objects.count())

    def fail_on_history(*args):
        raise RuntimeError("disk full")  # the members are inserted by now

    monkeypatch.setattr(writer, "_insert_changes", fail_on_history)
    job = jobs.run_job(job)
    assert job.status == JobStatus.FAILED
    assert (Member.unscoped.count(), MemberChange.objects.count()) == before
    assert not AuditEntry.unscoped.filter(action="member.import").exists()


@pytest.mark.django_db
def test_a_member_registered_between_check_and_save_stops_the_whole_save(world):
    rows = [member_row(world, name="甲", id_number=make_id_number(BORN)), member_row(world)]
    user = world.users["town_admin"]
    job = run_check(user, make_xlsx(rows))
    MemberFactory(org=world.branch_a, id_number=rows[1]["id_number"])
    jobs.confirm(job, Actor(user))
    job = jobs.run_job(job)
    assert job.status == JobStatus.INVALID
    assert problems(job)[0][:2] == (3, HEADER_OF["id_number"])
    assert not Member.unscoped.filter(name="甲").exists()


@pytest.mark.django_db
def test_an_organization_renamed_between_check_and_save_stops_the_whole_save(world):
    user = world.users["town_admin"]
    job = run_check(user, make_xlsx([member_row(world)]))
    world.branch_a.name = "崔桥村第一网格党支部"
    world.branch_a.save()
    jobs.confirm(job, Actor(user))
    job = jobs.run_job(job)
    assert job.status == JobStatus.INVALID
    assert "崔桥村第1网格党支部" in problem_text(job) and "已被改名" in problem_text(job)
    assert not Member.unscoped.filter(name="孙丽").exists()


@pytest.mark.django_db
def test_pipeline_check_writes_nothing(world):
    path = files.import_dir()
    path.mkdir(parents=True)
    (path / "a.xlsx").write_bytes(make_xlsx([member_row(world)]))
    with activate(world.users["town_admin"].scope()):
        outcome = pipeline.check(path / "a.xlsx", "xlsx")
    assert outcome.rows == 1 and not outcome.problems
    assert not Member.unscoped.filter(name="孙丽").exists()
    assert stored() == ["a.xlsx"]
