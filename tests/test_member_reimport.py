"""Export, correct in Excel, import: the member export is the import template filled in, and a
re-imported export updates the members whose cells changed (shown field by field before the
confirmation, saved in one transaction with their history and one audit entry)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from heli.audit.describe import detail_sentence
from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core import crypto, seal
from heli.core.pinyin import initials
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.members import services
from heli.members.exporters import MemberExporter
from heli.members.import_models import ImportJob, JobStatus
from heli.members.imports import jobs
from heli.members.imports.columns import COLUMNS
from heli.members.models import Member, MemberChange
from heli.members.sensitive import PHONE_PURPOSE, tail_digest
from tests import sheets
from tests.factories import MemberFactory, PartyOrgFactory, make_id_number
from tests.test_member_import import problem_text, run_check


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def export(client, user, **params) -> bytes:
    """The member list exported by `user` (params: unmasked=1, language, filters)."""
    client.force_login(user)
    response = client.get(reverse("control:member_export"), params)
    assert response.status_code == 200
    return sheets.body(response)


class Workbook:
    """An exported workbook opened as a person opens it in Excel (openpyxl), cells addressed by
    the member's name and the column header. The header is found, not assumed in row 1."""

    def __init__(self, content: bytes):
        self.book = openpyxl.load_workbook(io.BytesIO(content))
        self.sheet = self.book.worksheets[0]
        self.header_row = next(
            row[0].row for row in self.sheet.iter_rows() if row[0].value == "姓名"
        )
        header = next(self.sheet.iter_rows(min_row=self.header_row, max_row=self.header_row))
        self.column = {cell.value: cell.column for cell in header}

    def rows(self):
        return self.sheet.iter_rows(min_row=self.header_row + 1)

    def row_of(self, name: str) -> int:
        matches = [r[0].row for r in self.rows() if r[0].value == name]
        assert len(matches) == 1, f"{name}: {matches}"
        return matches[0]

    def cell(self, name: str, header: str):
        return self.sheet.cell(self.row_of(name), self.column[header])

    def set(self, name: str, header: str, value) -> Workbook:
        self.cell(name, header).value = value
        return self

    def names(self) -> list[str]:
        return [r[0].value for r in self.rows() if r[0].value]

    def content(self) -> bytes:
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def visible_members(user) -> int:
    with activate(user.scope()):
        return Member.objects.count()


def versions() -> dict[int, int]:
    return dict(Member.unscoped.values_list("pk", "version"))


def confirm_and_save(job: ImportJob, user) -> ImportJob:
    assert job.status == JobStatus.CHECKED, problem_text(job)
    assert jobs.confirm(job, Actor(user, ip_address="10.0.0.9"))
    return jobs.run_job(job)


@pytest.mark.django_db
def test_an_unchanged_full_export_imports_back_as_no_change_at_all(world, client):
    town_admin = world.users["town_admin"]
    content = export(client, town_admin, unmasked="1")
    before = versions()
    job = run_check(town_admin, content)
    assert job.status == JobStatus.DONE, problem_text(job)
    assert (job.new_rows, job.update_rows, job.change_count) == (0, 0, 0)
    assert job.unchanged_rows == len(Workbook(content).names()) == job.total_rows
    assert job.total_rows == visible_members(town_admin), "the world's members are all listed"
    assert "无需导入或修改" in job.message
    assert versions() == before
    assert not MemberChange.objects.filter(action__in=["update", "import"]).exists()
    assert not AuditEntry.unscoped.filter(action="member.import").exists()


@pytest.mark.django_db
def test_the_export_has_the_templates_headers_and_values_in_chinese_whatever_the_language(
    world, client
):
    client.cookies["django_language"] = "en"
    client.force_login(world.users["branch_secretary"])
    response = client.get(reverse("control:member_export"), {"unmasked": "1"})
    assert response.headers["Content-Language"] == "en"
    book = Workbook(sheets.body(response))
    assert list(book.column) == [c.header for c in COLUMNS]
    assert [book.cell("张伟", h).value for h in ("性别", "学历", "党员类别", "党员状态")] == [
        "男", "大学本科", "正式党员", "正常",
    ]  # fmt: skip
    assert book.cell("王强", "流动方向").value == "流出"
    assert book.cell("张伟", "出生日期").value == dt.datetime(1985, 6, 15)
    assert book.cell("张伟", "公民身份号码").value == unseal(world.member_a, "id_cipher")


@pytest.mark.django_db
def test_two_corrected_cells_are_shown_field_by_field_then_saved_with_history_and_one_audit(
    world, client
):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "学历", "硕士研究生").set("王强", "工作单位", "常州新材料有限公司")
    rows = {name: book.row_of(name) for name in ("张伟", "王强")}
    before = versions()

    job = run_check(town_admin, book.content())
    assert job.status == JobStatus.CHECKED, problem_text(job)
    assert (job.new_rows, job.update_rows, job.change_count) == (0, 2, 2)
    assert job.unchanged_rows == visible_members(town_admin) - 2
    assert job.changes == [
        [rows["张伟"], "张伟", world.member_a.id_mask, "学历", "大学本科", "硕士研究生"],
        [rows["王强"], "王强", world.outflow_a.id_mask, "工作单位", "", "常州新材料有限公司"],
    ]
    assert versions() == before, "the check writes nothing"
    page = client.get(reverse("control:member_import_job", kwargs={"pk": job.pk}))
    html = page.content.decode()
    assert "硕士研究生" in html and world.member_a.id_mask in html and "确认并保存" in html
    assert unseal(world.member_a, "id_cipher") not in html

    job = confirm_and_save(job, town_admin)
    assert job.status == JobStatus.DONE and job.imported_rows == 0 and job.update_rows == 2
    job.refresh_from_db()
    assert job.total_rows == visible_members(town_admin), "the file's row count is kept"
    member_a = Member.unscoped.get(pk=world.member_a.pk)
    outflow_a = Member.unscoped.get(pk=world.outflow_a.pk)
    assert member_a.education == "master" and outflow_a.employer == "常州新材料有限公司"
    assert (member_a.version, outflow_a.version) == (before[member_a.pk] + 1, 2)
    assert member_a.updated_at > world.member_a.updated_at
    changed = {pk for pk, version in versions().items() if version != before[pk]}
    assert changed == {member_a.pk, outflow_a.pk}
    history = MemberChange.objects.filter(action="update").order_by("member_id")
    assert [(h.member_id, h.fields, h.username) for h in history] == [
        (member_a.pk, {"education": ["bachelor", "master"]}, "town_a"),
        (outflow_a.pk, {"employer": ["", "常州新材料有限公司"]}, "town_a"),
    ]
    assert all(seal.seal_of(h) == h.seal for h in history), "each history row is sealed"
    entry = AuditEntry.unscoped.get(action="member.import")
    assert entry.detail == {"created": 0, "updated": 2, "file": "党员.xlsx", "job": str(job.pk)}
    assert entry.ip_address == "10.0.0.9"
    sentence = f"新增 0 名党员；更新 2 名党员；导入任务：{job.pk}；文件：党员.xlsx"
    assert detail_sentence(entry) == sentence
    assert not AuditEntry.unscoped.filter(action="member.update").exists()


@pytest.mark.django_db
def test_new_members_and_updates_are_saved_together_in_one_import(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "备注", "2024年换届当选支部委员")
    new_row = book.sheet.max_row + 1
    for header, value in {
        "姓名": "孙丽", "民族": "汉族", "出生日期": dt.date(1985, 6, 15),
        "公民身份号码": make_id_number(dt.date(1985, 6, 15)), "学历": "大专",
        "入党日期": "2012-07-01", "转正日期": "2013-07-01",
        "组织关系所在党组织": "崔桥村第2网格党支部",
    }.items():  # fmt: skip
        book.sheet.cell(new_row, book.column[header]).value = value
    job = run_check(town_admin, book.content())
    assert (job.new_rows, job.update_rows) == (1, 1), problem_text(job)
    job = confirm_and_save(job, town_admin)
    assert Member.unscoped.get(name="孙丽").org == world.branch_a2
    assert Member.unscoped.get(pk=world.member_a.pk).notes == "2024年换届当选支部委员"
    assert AuditEntry.unscoped.get(action="member.import").detail["created"] == 1


@pytest.mark.django_db
def test_a_moved_member_shows_the_names_of_both_organizations_and_history_keeps_them(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "组织关系所在党组织", "崔桥村第2网格党支部")
    book.set("张伟", "居住网格", "崔桥村第2网格")
    job = run_check(town_admin, book.content())
    assert [c[3:] for c in job.changes] == [
        ["组织关系所在党组织", "崔桥村第1网格党支部", "崔桥村第2网格党支部"],
        ["居住网格", "崔桥村第1网格", "崔桥村第2网格"],
    ]
    confirm_and_save(job, town_admin)
    member = Member.unscoped.get(pk=world.member_a.pk)
    assert (member.org, member.residence_grid) == (world.branch_a2, world.grid_a2)
    assert MemberChange.objects.get(action="update").fields == {
        "org": ["崔桥村第1网格党支部", "崔桥村第2网格党支部"],
        "residence_grid": ["崔桥村第1网格", "崔桥村第2网格"],
    }


@pytest.mark.django_db
def test_a_corrected_name_is_saved_with_the_initials_the_search_uses(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1")).set("张伟", "姓名", "李卫东")
    job = confirm_and_save(run_check(town_admin, book.content()), town_admin)
    assert [c[3:] for c in job.changes] == [["姓名", "张伟", "李卫东"]]
    member = Member.unscoped.get(pk=world.member_a.pk)
    assert (member.name, member.name_initials) == ("李卫东", initials("李卫东"))
    assert MemberChange.objects.get(action="update").fields == {"name": ["张伟", "李卫东"]}


@pytest.mark.django_db
def test_a_corrected_date_is_saved_as_that_date(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "入党日期", dt.datetime(2011, 7, 1)).set("张伟", "转正日期", "2012年7月1日")
    job = confirm_and_save(run_check(town_admin, book.content()), town_admin)
    assert [c[3:] for c in job.changes] == [
        ["入党日期", "2010-07-01", "2011-07-01"],
        ["转正日期", "2011-07-01", "2012-07-01"],
    ]
    member = Member.unscoped.get(pk=world.member_a.pk)
    assert (member.joined_on, member.full_on) == (dt.date(2011, 7, 1), dt.date(2012, 7, 1))
    assert MemberChange.objects.get(action="update").fields == {
        "joined_on": ["2010-07-01", "2011-07-01"],
        "full_on": ["2011-07-01", "2012-07-01"],
    }


@pytest.mark.django_db
def test_a_changed_phone_is_encrypted_again_with_a_new_digest_and_shown_only_masked(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "手机号码", "13900001111")
    job = run_check(town_admin, book.content())
    assert [c[3:] for c in job.changes] == [["手机号码", "138****5678", "139****1111"]]
    assert "13900001111" not in str(ImportJob.unscoped.filter(pk=job.pk).values().get())
    confirm_and_save(job, town_admin)
    member = Member.unscoped.get(pk=world.member_a.pk)
    assert unseal(member, "phone_cipher") == "13900001111"
    assert member.phone_digest == crypto.digest(PHONE_PURPOSE, "13900001111")
    assert member.phone_mask == "139****1111"
    assert member.phone_tail_digest == tail_digest(PHONE_PURPOSE, "13900001111")
    assert MemberChange.objects.get(action="update").fields == {
        "phone": ["138****5678", "139****1111"]
    }


@pytest.mark.django_db
def test_an_emptied_cell_empties_the_field_and_a_column_left_out_keeps_it(world, client):
    MemberFactory(name="周全", org=world.branch_a, employer="横林家居", notes="老党员")
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("周全", "工作单位", None)
    book.sheet.delete_cols(book.column["备注"])
    job = run_check(town_admin, book.content())
    assert [c[1:] for c in job.changes] == [["周全", job.changes[0][2], "工作单位", "横林家居", ""]]
    confirm_and_save(job, town_admin)
    member = Member.unscoped.get(name="周全")
    assert (member.employer, member.notes) == ("", "老党员")


@pytest.mark.django_db
def test_the_rules_are_checked_against_the_stored_values_of_the_columns_left_out(world, client):
    # Without 党员状态, 王强 is still floating: his 流动方向 cell is no contradiction.
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.sheet.delete_cols(book.column["党员状态"])
    book = Workbook(book.content()).set("王强", "流出/流入地", "上海市闵行区")
    job = confirm_and_save(run_check(town_admin, book.content()), town_admin)
    assert [c[3:] for c in job.changes] == [["流出/流入地", "上海市浦东新区", "上海市闵行区"]]
    assert Member.unscoped.get(pk=world.outflow_a.pk).status == "floating"


@pytest.mark.django_db
def test_a_member_of_another_town_in_the_file_is_refused_without_naming_it_and_nothing_is_written(
    world, client
):
    book = Workbook(export(client, world.users["district_admin"], unmasked="1"))
    book.set("张伟", "学历", "硕士研究生")
    town_admin = world.users["town_admin"]
    before = versions()
    job = run_check(town_admin, book.content())
    assert job.status == JobStatus.INVALID
    row_b = book.row_of("李娜")
    refusals = [e for e in job.errors if e[0] == row_b and e[1] == "公民身份号码"]
    assert refusals == [
        [row_b, "公民身份号码", world.member_b.id_mask,
         "该公民身份号码的党员已在区内其他组织登记，不在您的管理范围内，不能通过您的文件新增或修改。"],
    ]  # fmt: skip
    assert versions() == before
    assert not jobs.confirm(job, Actor(town_admin))
    assert Member.unscoped.get(pk=world.member_a.pk).education == "bachelor"


@pytest.mark.django_db
def test_a_deleted_members_row_is_refused_rather_than_brought_back(world, client):
    district_admin = world.users["district_admin"]
    content = export(client, district_admin, unmasked="1")
    services.delete_member(Actor(district_admin), world.member_a, "重复录入")
    job = run_check(district_admin, content)
    assert job.status == JobStatus.INVALID
    assert [e[0] for e in job.errors] == [Workbook(content).row_of("张伟")]
    assert "已被删除" in job.errors[0][3]


@pytest.mark.django_db
def test_a_masked_export_is_refused_row_by_row_pointing_to_the_full_export(world, client):
    grid_worker = world.users["grid_worker"]  # may import, may not see ID numbers in full
    content = export(client, grid_worker)
    job = run_check(grid_worker, content)
    assert job.status == JobStatus.INVALID
    rows = Workbook(content).names()
    assert job.error_count == len(rows) > 0, problem_text(job)
    assert {e[1] for e in job.errors} == {"公民身份号码"}, "one problem a row, not one per cell"
    assert all("脱敏导出" in e[3] and "“完整导出”" in e[3] for e in job.errors)


@pytest.mark.django_db
def test_formula_like_values_come_back_exactly_as_they_were_stored(world, client):
    stored = {"name": "=张三", "employer": "-某某公司", "notes": "'=SUM(A1)",
              "floating_place": "", "education": "bachelor"}  # fmt: skip
    member = MemberFactory(org=world.branch_a, **stored)
    MemberFactory(name="@李四", org=world.branch_a, employer="+86 常州", notes="\tTab")
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    # In .xlsx a formula-like value is text by Excel's quote prefix; a value that begins with
    # a ' before a formula start keeps it behind one more (or the import would take it).
    assert book.cell("=张三", "工作单位").value == "-某某公司"
    assert book.cell("=张三", "工作单位").quotePrefix
    assert book.cell("=张三", "备注").value == "''=SUM(A1)"

    job = run_check(town_admin, book.content())
    assert job.status == JobStatus.DONE and job.unchanged_rows == job.total_rows, problem_text(job)

    book.set("=张三", "学历", "大专")
    job = confirm_and_save(run_check(town_admin, book.content()), town_admin)
    assert [c[3:] for c in job.changes] == [["学历", "大学本科", "大学专科"]]
    saved = Member.unscoped.get(pk=member.pk)
    assert (saved.name, saved.employer, saved.notes) == ("=张三", "-某某公司", "'=SUM(A1)")
    other = Member.unscoped.get(name="@李四")
    assert (other.employer, other.notes) == ("+86 常州", "\tTab")


@pytest.mark.django_db
def test_a_csv_export_with_its_quoted_formula_cells_imports_back_unchanged(world):
    MemberFactory(name="=张三", org=world.branch_a, employer="-某某公司", notes="'=SUM(A1)")
    town_admin = world.users["town_admin"]
    with activate(town_admin.scope()):
        members = Member.objects.filter(org=world.branch_a)
        content = MemberExporter(members, unmasked=True).to_csv()
    assert "'=张三" in content.decode() and "''=SUM(A1)" in content.decode()
    job = run_check(town_admin, content, "党员.csv")
    assert job.status == JobStatus.DONE and job.unchanged_rows == job.total_rows, problem_text(job)

    edited = content.decode().replace("'-某某公司", "'-某某集团").encode()
    job = confirm_and_save(run_check(town_admin, edited, "党员.csv"), town_admin)
    assert [c[3:] for c in job.changes] == [["工作单位", "-某某公司", "-某某集团"]]
    assert Member.unscoped.get(name="=张三").notes == "'=SUM(A1)"


@pytest.mark.django_db
def test_the_header_is_found_below_the_exports_title_block_and_rows_keep_their_numbers(
    world, client
):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    assert book.header_row > 1, "the export has its title block above the header"
    assert book.sheet.cell(1, 1).value
    job = run_check(town_admin, book.content())
    assert job.status == JobStatus.DONE and job.unchanged_rows == job.total_rows, problem_text(job)

    book.set("张伟", "学历", "幼儿园")
    job = run_check(town_admin, book.content())
    assert [(e[0], e[1]) for e in job.errors] == [(book.row_of("张伟"), "学历")]


@pytest.mark.django_db
def test_a_header_below_the_tenth_row_is_not_looked_for(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.sheet.insert_rows(1, 11 - book.header_row)
    assert Workbook(book.content()).header_row == 11
    job = run_check(town_admin, book.content())
    assert job.status == JobStatus.FAILED and "前 10 行" in job.message


@pytest.mark.django_db
def test_the_template_filled_in_below_its_example_imports_only_the_new_row(world, client):
    town_admin = world.users["town_admin"]
    client.force_login(town_admin)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("control:member_import_template")).content)
    )
    sheet = book["党员信息"]
    example = [cell.value for cell in sheet[2]]
    mine = list(example)
    mine[0], mine[4] = "周敏", make_id_number(dt.date(1985, 6, 15), gender="M")
    sheet.append(mine)
    buffer = io.BytesIO()
    book.save(buffer)
    job = confirm_and_save(run_check(town_admin, buffer.getvalue()), town_admin)
    assert (job.status, job.imported_rows, job.update_rows) == (JobStatus.DONE, 1, 0)
    assert any("示例" in warning for warning in job.warnings), job.warnings
    added = Member.unscoped.get(name="周敏")
    assert (added.org, added.residence_grid) == (world.branch_a, world.grid_a)
    assert added.employer == "常州某家居有限公司"
    assert not Member.unscoped.filter(name="张伟").exclude(pk=world.member_a.pk).exists()


@pytest.mark.django_db
def test_names_that_repeat_are_exported_qualified_and_resolve_back_to_the_same_node(world, client):
    PartyOrgFactory(name=world.branch_a.name, region=world.grid_b, parent=world.village_b_org)
    district_admin = world.users["district_admin"]
    book = Workbook(export(client, district_admin, unmasked="1"))
    assert book.cell("张伟", "组织关系所在党组织").value == "崔桥村党总支/崔桥村第1网格党支部"
    assert book.cell("李娜", "组织关系所在党组织").value == "剑湖村第1网格党支部"
    job = run_check(district_admin, book.content())
    assert job.status == JobStatus.DONE and job.update_rows == 0, problem_text(job)


@pytest.mark.django_db
def test_an_organization_the_uploader_cannot_name_is_kept_when_its_cell_is_unchanged(world, client):
    # 赵敏 reports to a village of town A but belongs to the district's working committee,
    # which a town's account can neither see nor name.
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    assert book.cell("赵敏", "组织关系所在党组织").value == world.root_org.name
    book.set("赵敏", "学历", "硕士研究生")
    job = confirm_and_save(run_check(town_admin, book.content()), town_admin)
    member = Member.unscoped.get(pk=world.in_service_a.pk)
    assert (member.org, member.education) == (world.root_org, "master")

    book.set("赵敏", "组织关系所在党组织", "遥观镇党委")
    job = run_check(town_admin, book.content())
    assert "未知党组织“遥观镇党委”" in problem_text(job)


@pytest.mark.django_db
def test_a_member_changed_between_check_and_save_stops_the_whole_import(world, client):
    town_admin = world.users["town_admin"]
    book = Workbook(export(client, town_admin, unmasked="1"))
    book.set("张伟", "学历", "硕士研究生").set("王强", "学历", "高中")
    job = run_check(town_admin, book.content())
    assert job.update_rows == 2, problem_text(job)
    member = Member.unscoped.get(pk=world.member_a.pk)
    with activate(town_admin.scope()):
        services.update_member(Actor(town_admin), member, {"employer": "甲公司"}, member.version)
    before = versions()
    job = confirm_and_save(job, town_admin)
    assert job.status == JobStatus.INVALID
    assert [(e[0], e[2]) for e in job.errors] == [(book.row_of("张伟"), member.id_mask)]
    assert "已被修改" in job.errors[0][3]
    assert versions() == before
    assert Member.unscoped.get(pk=world.outflow_a.pk).education == "bachelor"
    assert not AuditEntry.unscoped.filter(action="member.import").exists()
