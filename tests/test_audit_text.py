"""Audit entries and member history read as Chinese phrases and sentences, never with an ID
number or a phone in clear; the audit log's exporter writes them as the page shows them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from heli.audit import describe
from heli.audit.describe import SENTENCES
from heli.audit.exporters import AuditExporter
from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.core.scoping import Scope, activate
from heli.members import services
from heli.members.models import Member, MemberChange
from heli.mobility import floating
from tests.factories import make_id_number

ID_NUMBER = make_id_number(dt.date(1990, 5, 20), "M")
NEW_ID_NUMBER = make_id_number(dt.date(1990, 5, 20), "M")  # the same gender
PHONE, NEW_PHONE = "13912345678", "13687654321"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def auditor_scope(world):
    with activate(world.users["auditor"].scope()) as scope:
        yield scope


def _text(entry: AuditEntry, names=None) -> str:
    return describe.detail_sentence(entry, names)


def _entry(world, action, obj=None, **detail) -> AuditEntry:
    return record(Actor(user=world.users["town_admin"]), action, obj, detail=detail)


def _register(world, client) -> Member:
    """A member registered through the staff page, with known numbers."""
    client.force_login(world.users["branch_secretary"])
    data = {
        "name": "孙丽", "id_number": ID_NUMBER, "birth_date": "1990-05-20", "ethnicity": "汉族",
        "education": "bachelor", "joined_on": "2015-07-01", "membership": "full",
        "full_on": "2016-07-01", "org": world.branch_a.pk, "residence_grid": world.grid_a.pk,
        "occupation": "rider",
        "status": "normal", "phone": PHONE,
    }  # fmt: skip
    assert client.post(reverse("control:member_create"), data).status_code == 302
    return Member.unscoped.get(name="孙丽")


def _edit(client, member: Member, **changes) -> None:
    url = reverse("control:member_edit", kwargs={"pk": member.pk})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    assert client.post(url, {**data, **changes}).status_code == 302


@pytest.mark.django_db
def test_a_member_export_reads_in_full_or_masked(world, client):
    client.force_login(world.users["branch_secretary"])
    client.get(reverse("control:member_export"))
    client.get(reverse("control:member_export"), {"unmasked": "1"})
    masked, full = AuditEntry.unscoped.filter(action="member.export").order_by("id")
    rows = f"{masked.detail['rows']:,}"
    assert masked.action_label == "导出党员名册（脱敏）"
    assert full.action_label == "导出党员名册（完整）"
    assert _text(masked).startswith(f"导出 {rows} 条，脱敏；名单：")
    assert _text(full).startswith(f"导出 {rows} 条，完整（含身份证号和手机号）；")
    unknown = AuditEntry(action="member.export", detail={"rows": 1234})
    assert unknown.action_label == "导出党员名册" and _text(unknown) == "导出 1,234 条"


@pytest.mark.django_db
def test_a_member_update_reads_with_chinese_labels_in_the_log_and_the_history(world, client):
    member = _register(world, client)
    _edit(client, member, education="master", employer="常州某科技公司")
    entry = AuditEntry.unscoped.get(action="member.update", object_id=str(member.pk))
    change = MemberChange.objects.get(member=member, action="update")
    expected = "学历：大学本科 → 硕士研究生；工作单位：（空） → 常州某科技公司"
    assert entry.action_label == change.phrase == "修改党员信息"
    assert _text(entry) == change.sentence == expected
    html = client.get(reverse("control:member_detail", kwargs={"pk": member.pk})).content.decode()
    assert "修改党员信息" in html and "学历：大学本科 → 硕士研究生" in html
    assert "education" not in html and "bachelor" not in html


@pytest.mark.django_db
def test_a_status_change_reads_normal_to_floating(world):
    actor = Actor(user=world.users["branch_secretary"])
    floating.register(
        actor,
        world.member_a,
        {
            "direction": "out", "place": "上海市浦东新区", "since": dt.date(2026, 3, 1),
            "flow_range": "other_province", "reason": "work", "expected_months": 12,
        },
    )  # fmt: skip
    change = MemberChange.objects.get(member=world.member_a, action="floating")
    entry = AuditEntry.unscoped.get(action="member.floating", object_id=str(world.member_a.pk))
    assert change.sentence == _text(entry) == "党员状态：正常 → 流动；流动方向：（空） → 流出"
    assert change.phrase == "标记为流动党员"
    registered = AuditEntry.unscoped.get(action="floating.register")
    assert _text(registered) == "流动方向：流出"


@pytest.mark.django_db
def test_no_sentence_shows_an_id_number_or_a_phone_in_clear(world, client):
    member = _register(world, client)
    _edit(client, member, education="master", id_number=NEW_ID_NUMBER, phone=NEW_PHONE)
    client.post(reverse("control:member_reveal", kwargs={"pk": member.pk}))
    client.get(reverse("control:member_export"), {"unmasked": "1", "q": NEW_ID_NUMBER})
    # The form refuses numbers in a reason now; entries written before hold them.
    services.delete_member(
        Actor(user=world.users["district_admin"]),
        member,
        f"重复录入，身份证号 {NEW_ID_NUMBER}，电话 {NEW_PHONE}",
    )
    services.restore_member(Actor(user=world.users["district_admin"]), member)
    entries = list(AuditEntry.unscoped.filter(object_id=str(member.pk)))
    entries += list(AuditEntry.unscoped.filter(action="member.export"))
    assert {e.action for e in entries} >= {
        "member.create", "member.update", "member.reveal", "member.export",
        "member.delete", "member.restore",
    }  # fmt: skip
    shown = [describe.describe(e) + " " + _text(e) for e in entries]
    shown += [c.phrase + " " + c.sentence for c in MemberChange.objects.filter(member=member)]
    text = "\n".join(shown)
    for clear in (ID_NUMBER, NEW_ID_NUMBER, PHONE, NEW_PHONE):
        assert clear not in text, clear
    # What is shown instead: the masks, old and new.
    assert (
        f"公民身份号码：{'*' * 16}{ID_NUMBER[-2:]}" in text
        and "手机号码：139****5678 → 136****4321" in text
    )
    assert "删除原因：重复录入，身份证号 " in text and "电话 136****4321" in text
    assert "查看完整信息：公民身份号码、手机号码" in text


def test_a_value_is_masked_when_it_looks_like_an_id_number_or_a_mobile():
    assert describe.masked(f"{ID_NUMBER}/{PHONE}") == f"{'*' * 16}{ID_NUMBER[-2:]}/139****5678"
    # Entries written when masks kept four characters at each end are shown as masks are now.
    assert describe.masked("查询 3204**********7994 无结果") == "查询 ****************94 无结果"
    # A letter's number stays; a landline is a person's as often as an office's (free text).
    assert (
        describe.masked("常经开组转〔2026〕12号 0519-88881234")
        == "常经开组转〔2026〕12号 **********34"
    )


LETTER, TRANSFER = "letters.reminderletter", "transfers.transfer"
THREE_LETTERS = [
    {"id": n, "number": f"崔桥村党总支督报〔2026〕{n}号", "member": "王强"} for n in (7, 8, 9)
]

PENDING = [{"id": 1, "name": "陌生人甲", "member": 5}, {"id": 2, "name": "陌生人乙", "member": 6}]
TASKS = [{"id": 1, "member": "王强", "from": "town_a"}, {"id": 2, "member": "周杰", "from": ""}]
STATIONS = [{"id": 1, "name": "甲站"}, {"id": 2, "name": "乙站"}]
EXPORT = {"title": "阵地", "rows": 3, "unmasked": False, "filter": ["类型：红驿家", "检索：崔桥"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "object_type", "detail", "expected"),
    [
        ("checkin.reject", "mobility.pendingcheckin", {"reason": "非本人"}, "拒绝原因：非本人"),
        ("letter.cancel", LETTER, {"reason": "写错地址"}, "作废原因：写错地址"),
        ("letter.close", LETTER, {"reason": "checked_in"}, "办结原因：党员已报到"),
        ("letter.send", LETTER, {"sent_on": "2026-03-02"}, "发出日期：2026-03-02"),
        ("letter.remind", LETTER, {"count": 2}, "第 2 次催办"),
        ("letter.download", LETTER, {"batch": 3}, "同批共 3 封"),
        (
            "letter.download",
            LETTER,
            {"letters": THREE_LETTERS, "count": 3},
            "共 3 封：崔桥村党总支督报〔2026〕7号、8号、9号",
        ),
        (
            "letter.remind",
            LETTER,
            {"letters": THREE_LETTERS[:2], "count": 2},
            "共 2 封：崔桥村党总支督报〔2026〕7号、8号",
        ),
        ("checkin.confirm", "", {"count": 2, "pending": PENDING}, "共 2 人：陌生人甲、陌生人乙"),
        (
            "checkin.reject",
            "",
            {"count": 1, "reason": "非本人", "pending": PENDING[:1]},
            "共 1 人：陌生人甲；拒绝原因：非本人",
        ),
        (
            "campaign.assign",
            "",
            {"to": "worker_a", "count": 2, "tasks": TASKS},
            "共 2 个任务改派给 worker_a：王强（原 town_a）、周杰",
        ),
        ("station.posters", "", {"count": 2, "stations": STATIONS}, "共 2 个阵地：甲站、乙站"),
        ("station.export", "", EXPORT, "导出 3 条；名单：阵地；筛选条件：类型：红驿家、检索：崔桥"),
        (
            "member.lookup",
            "",
            {"kind": "tail", "value": "****5678", "name": "张伟"},
            "查询方式：后四位；查询号码：****5678；所填姓名：张伟",
        ),
        ("transfer.approve", TRANSFER, {"status": "approved"}, "状态：已审批，待开具介绍信"),
        ("transfer.apply", TRANSFER, {"to": "遥观镇党委"}, "接收党组织：遥观镇党委"),
        (
            "region.move",
            "orgs.region",
            {"from": "横林镇", "to": "遥观镇"},
            "从“横林镇”移至“遥观镇”",
        ),
        ("org.create", "orgs.partyorg", {"parent": "横林镇党委"}, "上级：横林镇党委"),
        (
            "campaign.assign",
            "campaigns.campaigntask",
            {"from": "worker_a", "to": "town_a"},
            "由 worker_a 改派给 town_a",
        ),
        (
            "campaign.decide",
            "campaigns.campaigntask",
            {"outcome": "returned", "on": "2026-05-01"},
            "排查结果：已返回；返回日期：2026-05-01",
        ),
        (
            "floating.contact",
            "mobility.floatingrecord",
            {"kind": "call"},
            "联系方式：联络员电话联系",
        ),
        ("checkin.create", "mobility.checkin", {"source": "qr"}, "来源：二维码"),
        (
            "member.import",
            "",
            {"rows": 1234, "file": "党员.xlsx"},
            "导入 1,234 条；文件：党员.xlsx",
        ),
        ("floating.export", "", {"rows": 12}, "导出 12 条"),
        ("floating.report", "", {"rows": 5}, "共 5 个镇（街道）"),
        (
            "account.update",
            "accounts.user",
            {"password": ["***", "***"], "is_active": [True, False]},
            "密码：已修改；有效：是 → 否",
        ),
        (
            "region.update",
            "orgs.region",
            {"boundary": ["{'type': 'Polygon'}", "None"]},
            "边界（GeoJSON）：已修改",
        ),
        (
            "x.unknown",
            "",
            {"foo": "bar", "n": 3, "nested": {"a": 1}},
            'foo：bar；n：3；nested：{"a": 1}',
        ),
        ("login", "accounts.user", {}, ""),
    ],
)
def test_details_of_every_shape_read_as_sentences(world, action, object_type, detail, expected):
    entry = AuditEntry(action=action, object_type=object_type, detail=detail)
    assert _text(entry) == expected


@pytest.mark.parametrize(
    "detail",
    [
        None, [], "text", ["a", "b"], {"rows": "many", "unmasked": "yes"}, {"fields": "id_number"},
        {"fields": [1, None]}, {"letters": [1, None, {}]}, {"pending": "x"}, {"tasks": [1]},
        {"from": None}, {"count": [1]},
        {"status": ["x", "y", "z"]}, {"org": {"id": 1}}, {"reason": "x" * 500},
    ],
)  # fmt: skip
def test_odd_details_never_break_a_page(detail):
    for action in (*SENTENCES, "member.update", "x.y"):
        for object_type in ("", "members.member", "nonsense", "no.such.model"):
            entry = AuditEntry(action=action, object_type=object_type, detail=detail)
            assert isinstance(describe.describe(entry), str)
            assert len(_text(entry)) < 300


@pytest.mark.django_db
def test_account_changes_show_the_role_and_mask_a_phone(world):
    user = world.users["grid_worker"]
    entry = _entry(
        world, "account.update", user, role=["grid_worker", "branch_secretary"], phone=["", PHONE]
    )
    assert _text(entry) == "角色：网格员/联络员 → 支部书记；手机号码：（空） → 139****5678"


@pytest.mark.django_db
def test_ids_become_names_with_one_query_per_kind_of_object(world, auditor_scope):
    entries = [
        _entry(world, "floating.confirm_inflow", world.inflow_record_a, org=world.branch_a.pk),
        _entry(world, "floating.join", world.inflow_record_a, org=world.branch_a2.pk),
        _entry(world, "campaign.open", world.campaign_a, region=world.town_a.pk, tasks=3, lost=1),
        _entry(world, "checkin.confirm", world.pending_a, member=world.member_a.pk),
    ]
    assert _text(entries[0]) == f"流入地党组织：#{world.branch_a.pk}"
    with CaptureQueriesContext(connection) as queries:
        entries = describe.annotate(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]))
    # The entries, then organizations, regions, members, and the actors' organizations.
    assert len(queries) == 5
    with CaptureQueriesContext(connection) as queries:
        texts = sorted(e.detail_text for e in entries)
    assert len(queries) == 0
    assert texts == sorted(
        [
            f"流入地党组织：{world.branch_a.name}",
            f"编入支部：{world.branch_a2.name}",
            f"排查范围：{world.town_a.name}；任务数：3；其中失联：1",
            f"党员：{world.member_a.name}",
        ]
    )
    assert {e.org_name for e in entries} == {world.town_a_org.name}


@pytest.mark.django_db
def test_ids_the_viewer_cannot_see_stay_ids(world):
    entry = _entry(world, "floating.join", world.inflow_record_a, org=world.branch_b.pk)
    with activate(world.users["town_admin"].scope()):
        assert _text(entry, describe.prefetch_names([entry])) == f"编入支部：#{world.branch_b.pk}"
    assert _text(entry, describe.prefetch_names([entry])) == f"编入支部：#{world.branch_b.pk}"


@pytest.mark.django_db
def test_every_entry_of_the_test_world_reads_without_a_raw_key_or_code(world, auditor_scope):
    entries = describe.annotate(AuditEntry.objects.all())
    assert len(entries) >= 10
    for entry in entries:
        text = entry.detail_text
        assert entry.action_label != entry.action, entry.action
        for key in entry.detail:
            assert f"{key}：" not in text, (entry.action, text)


@pytest.mark.django_db
def test_the_exporter_writes_one_row_per_entry_as_the_page_reads_it(world, client):
    member = _register(world, client)
    client.post(reverse("control:member_reveal", kwargs={"pk": member.pk}))
    with activate(Scope.everything()):
        entries = AuditEntry.objects.filter(action__in=["member.create", "member.reveal"])
        exporter = AuditExporter(entries)
        with CaptureQueriesContext(connection) as queries:
            rows = list(exporter.rows())
        body = exporter.to_xlsx()
    assert len(queries) <= 4  # the entries with their users, the names they need
    assert exporter.header() == [
        "时间", "账号", "姓名", "组织", "操作", "对象", "详情", "地址", "结果",
    ]  # fmt: skip
    reveal, create = rows
    user = world.users["branch_secretary"]
    assert reveal[1:] == [
        "secretary_a", user.last_name, world.branch_a.name, "查看完整身份证号和手机号", "孙丽",
        "查看完整信息：公民身份号码、手机号码", "127.0.0.1", "成功",
    ]  # fmt: skip
    assert (
        create[4] == "新增党员"
        and create[6] == f"姓名：孙丽；组织关系所在党组织：{world.branch_a.name}"
    )
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert sheet[0][4] == "操作" and sheet[1][4] == "查看完整身份证号和手机号"
    assert ID_NUMBER not in str(sheet) and PHONE not in str(sheet)
