"""Lists that work like a ledger: sorting, pages, filters kept in the URL, searches by name,
pinyin initials and numbers (by POST only), exports and print views of exactly what is shown."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.core.models import ExportJob, ExportStatus
from heli.core.sealed import unseal
from tests import sheets
from tests.factories import MemberFactory, make_id_number
from tests.taskqueue import run_queued

pytestmark = pytest.mark.django_db
URL = "/members/"


def names(response) -> list[str]:
    return [m.name for m in response.context["page"].object_list]


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


# Counting ------------------------------------------------------------------------------------


def test_the_member_list_counts_the_members_on_the_roll_as_the_desk_does(world, client):
    MemberFactory(name="已转出", org=world.branch_a, status="transferred_out")
    client.force_login(world.users["district_admin"])
    desk = client.get(reverse("control:dashboard")).context["floating"].members
    listed = client.get(URL)
    assert listed.context["page"].paginator.count == desk
    assert "已转出" not in names(listed)
    everyone = client.get(URL, {"status": "all"})
    assert everyone.context["page"].paginator.count == desk + 1
    assert "含已转出" in everyone.content.decode()  # a list that shows more says so


# Sorting and pages ---------------------------------------------------------------------------


def test_a_column_sorts_both_ways_and_the_header_says_which(world, client):
    MemberFactory(name="甲早", org=world.branch_a, joined_on=dt.date(1990, 1, 1))
    MemberFactory(name="乙晚", org=world.branch_a, joined_on=dt.date(2024, 1, 1))
    client.force_login(world.users["district_admin"])
    ascending = names(client.get(URL, {"sort": "joined_on"}))
    assert ascending[0] == "甲早" and ascending[-1] == "乙晚"
    descending = client.get(URL, {"sort": "-joined_on"})
    assert names(descending)[0] == "乙晚"
    header = next(h for h in descending.context["headers"] if h["key"] == "joined_on")
    assert header["active"] and header["descending"] and "sort=joined_on" in header["url"]


def test_an_unknown_sort_or_size_falls_back_instead_of_failing(world, client):
    client.force_login(world.users["district_admin"])
    response = client.get(URL, {"sort": "id_cipher", "size": "100000", "page": "99999999999"})
    assert response.status_code == 200 and response.context["size"] == 50


def test_page_size_page_number_and_filters_travel_together(world, client):
    for n in range(25):
        MemberFactory(name=f"硕士{n:02d}", org=world.branch_a, education="master")
    client.force_login(world.users["district_admin"])
    response = client.get(URL, {"education": "master", "size": "20", "page": "2"})
    page = response.context["page"]
    assert (page.number, page.paginator.per_page, len(page.object_list)) == (2, 20, 5)
    html = response.content.decode()
    assert "education=master" in html and "size=20" in html  # links keep the state
    assert response.context["page_numbers"] == [1, 2]


# Filters -------------------------------------------------------------------------------------


def test_filters_narrow_by_membership_gender_age_education_and_year_joined(world, client):
    young = MemberFactory(
        name="年轻预备", org=world.branch_a, membership="probationary", gender="F",
        birth_date=years_ago(30), joined_on=dt.date(2025, 7, 1), education="college",
    )  # fmt: skip
    old = MemberFactory(name="年长正式", org=world.branch_a, birth_date=years_ago(62))
    client.force_login(world.users["district_admin"])
    assert names(client.get(URL, {"membership": "probationary"})) == [young.name]
    assert names(client.get(URL, {"gender": "F", "education": "college"})) == [young.name]
    assert young.name in names(client.get(URL, {"age": "35-"}))
    assert names(client.get(URL, {"age": "61+"})) == [old.name]
    assert names(client.get(URL, {"joined": "2025"})) == [young.name]


def test_age_bands_turn_on_the_birthday(world, client):
    today = timezone.localdate()
    turns_36_today = MemberFactory(name="今天三十六", org=world.branch_a, birth_date=years_ago(36))
    turns_36_tomorrow = MemberFactory(
        name="明天三十六", org=world.branch_a, birth_date=years_ago(36) + dt.timedelta(days=1)
    )
    assert turns_36_today.birth_date.replace(year=today.year) == today
    client.force_login(world.users["district_admin"])
    young = names(client.get(URL, {"age": "35-"}))
    assert turns_36_tomorrow.name in young and turns_36_today.name not in young
    assert turns_36_today.name in names(client.get(URL, {"age": "36-45"}))


def test_the_tree_filters_take_a_subtree_and_ignore_what_the_user_cannot_see(world, client):
    client.force_login(world.users["town_admin"])
    in_village = names(client.get(URL, {"region": world.village_a.pk}))
    assert "张伟" in in_village and "李娜" not in in_village
    in_branch = set(names(client.get(URL, {"org": world.branch_a.pk})))
    assert {"张伟", "王强"} <= in_branch and "赵敏" not in in_branch  # 赵敏 is the district's
    # Another town's place filters nothing: the page is the user's own list, never a leak.
    elsewhere = client.get(URL, {"region": world.town_b.pk})
    assert elsewhere.status_code == 200 and "李娜" not in names(elsewhere)
    assert names(elsewhere) == names(client.get(URL))


def test_the_tree_picker_offers_the_users_own_root_and_its_children(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:tree_nodes", kwargs={"kind": "regions"})
    roots = client.get(url).json()["results"]
    assert [r["name"] for r in roots] == ["横林镇"] and roots[0]["has_children"]
    children = client.get(url, {"parent": world.town_a.pk}).json()["results"]
    assert [c["name"] for c in children] == ["崔桥村"]
    assert client.get(url, {"parent": world.town_b.pk}).json()["results"] == []
    found = client.get(url, {"q": "cqc"}).json()["results"]  # pinyin initials
    assert {r["name"] for r in found} >= {"崔桥村", "崔桥村第1网格"}
    assert not any("剑湖" in r["name"] for r in client.get(url, {"q": "网格"}).json()["results"])


# Searching -----------------------------------------------------------------------------------


def test_pinyin_initials_find_a_member(world, client):
    client.force_login(world.users["district_admin"])
    assert "张伟" in names(client.get(URL, {"q": "zw"}))
    assert "张伟" in names(client.get(URL, {"q": "ZW"}))
    assert "张伟" not in names(client.get(URL, {"q": "ln"}))


def test_a_number_search_goes_by_post_and_never_into_the_url(world, client):
    member = MemberFactory(name="赵四", org=world.branch_a, phone="13955554321")
    client.force_login(world.users["branch_secretary"])
    response = client.post(URL, {"q": "4321"}, follow=True)
    url = response.redirect_chain[-1][0]
    assert "4321" not in unquote(url) and "find=" in url
    assert names(response) == [member.name]
    entry = AuditEntry.unscoped.get(action="member.lookup")
    assert entry.detail["value"] == "****4321" and "13955554321" not in str(entry.detail)
    # The search token keeps working on the next pages, the export and the print view.
    export = client.get(url + "&export=xlsx")
    assert [row[0] for row in sheets.read(export).rows] == [member.name]


def test_the_last_four_of_an_id_number_find_the_member(world, client):
    number = make_id_number()
    member = MemberFactory(name="钱五", org=world.branch_a, id_number=number, phone="")
    client.force_login(world.users["grid_worker"])
    response = client.post(URL, {"q": f"钱五 {number[-4:]}"}, follow=True)
    assert names(response) == [member.name]


def test_a_number_in_the_query_string_is_never_searched(world, client):
    client.force_login(world.users["district_admin"])
    number = unseal(world.member_b, "id_cipher")
    assert names(client.get(URL, {"q": number})) == []
    assert not AuditEntry.unscoped.filter(action="member.lookup").exists()


def test_a_whole_number_needs_the_name_for_a_user_who_may_not_see_numbers(world, client):
    number = unseal(world.member_a, "id_cipher")
    client.force_login(world.users["grid_worker"])
    refused = client.post(URL, {"q": number}, follow=True)
    assert "请同时输入姓名" in refused.content.decode()
    assert not AuditEntry.unscoped.filter(action="member.lookup").exists()
    found = client.post(URL, {"q": f"张伟 {number}"}, follow=True)
    assert names(found) == ["张伟"]
    client.force_login(world.users["branch_secretary"])  # may see numbers: the number is enough
    assert names(client.post(URL, {"q": number}, follow=True)) == ["张伟"]


def test_number_searches_are_limited_per_user(world, client, settings):
    settings.HELI_LOOKUP_LIMIT = 3
    client.force_login(world.users["branch_secretary"])
    for _ in range(3):
        assert "find=" in client.post(URL, {"q": "5678"})["Location"]
    refused = client.post(URL, {"q": "5678"}, follow=True)
    assert "查找次数过多" in refused.content.decode()
    client.force_login(world.users["grid_worker"])  # another user has their own allowance
    assert "find=" in client.post(URL, {"q": "5678"})["Location"]


def test_another_sessions_search_token_finds_nothing(world, client):
    client.force_login(world.users["branch_secretary"])
    url = client.post(URL, {"q": "5678"})["Location"]
    client.logout()
    client.force_login(world.users["branch_secretary"])
    assert names(client.get(url)) == names(client.get(URL))  # the token is unknown: no search


# Exports and print ----------------------------------------------------------------------------


def test_the_export_is_what_the_list_shows_with_a_title_block_widths_and_print_setup(world, client):
    MemberFactory(name="欧阳长名字的党员", org=world.branch_a, education="master",
                  employer="常州经开区某某某某某某有限责任公司第一分公司")  # fmt: skip
    client.force_login(world.users["branch_secretary"])
    response = client.get(URL, {"education": "master", "export": "xlsx"})
    sheet = sheets.read(response)
    assert sheet.info[0] == "党员名册"
    assert sheet.info[1] == f"单位：{world.branch_a.name}"
    assert "学历：硕士研究生" in sheet.info[2]
    assert timezone.localdate().isoformat() in sheet.info[3]
    assert [row[0] for row in sheet.rows] == ["欧阳长名字的党员"]
    book = openpyxl.load_workbook(io.BytesIO(sheets.body(client.get(
        URL, {"education": "master", "export": "xlsx"}))))  # fmt: skip
    ws = book.active
    header_row = len(sheet.info) + 2
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    employer = sheet.header.index("工作单位") + 1
    letter = openpyxl.utils.get_column_letter(employer)
    assert ws.column_dimensions[letter].width > 40  # wide enough for the long employer name


def test_export_file_names_are_chinese_dated_and_say_when_they_are_in_full(world, client):
    client.force_login(world.users["branch_secretary"])
    today = timezone.localdate().isoformat()
    masked = client.get(URL, {"export": "xlsx"})["Content-Disposition"]
    full = client.get(URL, {"export": "xlsx", "unmasked": "1"})["Content-Disposition"]
    assert unquote(masked).endswith(f"{world.branch_a.name}_党员名册_{today}.xlsx")
    assert "filename*=utf-8''" in masked
    assert "（完整）" in unquote(full) and unquote(full) != unquote(masked)


def test_a_full_export_needs_the_right_and_is_audited_with_the_filter(world, client):
    client.force_login(world.users["grid_worker"])
    assert client.get(URL, {"export": "xlsx", "unmasked": "1"}).status_code == 403
    client.force_login(world.users["branch_secretary"])
    client.get(URL, {"export": "xlsx", "unmasked": "1", "gender": "M"})
    entry = AuditEntry.unscoped.filter(action="member.export").latest("id")
    assert entry.detail["unmasked"] is True and "性别：男" in entry.detail["filter"]


def test_the_print_view_lays_out_the_filtered_rows_with_the_title_block(world, client, settings):
    client.force_login(world.users["district_admin"])
    html = client.get(URL, {"q": "张", "print": "1"}).content.decode()
    assert "<h1>党员名册</h1>" in html and "搜索：张" in html and "张伟" in html
    assert "李娜" not in html and 'class="sidenav' not in html
    settings.HELI_PRINT_MAX_ROWS = 1
    assert 'data-testid="print-truncated"' in client.get(URL, {"print": "1"}).content.decode()


def test_a_large_export_runs_in_the_background_for_its_owner_only(world, client, settings):
    settings.HELI_EXPORT_INLINE_ROWS = 1
    client.force_login(world.users["branch_secretary"])
    response = client.get(URL, {"export": "xlsx", "sort": "-name"})
    job = ExportJob.unscoped.get(created_by=world.users["branch_secretary"])
    assert response["Location"] == reverse("control:export_job", kwargs={"pk": job.pk})
    assert client.get(response["Location"]).context["job"].status == ExportStatus.QUEUED
    assert f"{job.pk} " in run_queued()
    status = client.get(reverse("control:export_job_status", kwargs={"pk": job.pk})).json()
    assert status["status"] == "done" and status["percent"] == 100 and not status["running"]
    download = client.get(reverse("control:export_download", kwargs={"pk": job.pk}))
    rows = [row[0] for row in sheets.read(download).rows]
    listed = names(client.get(URL, {"sort": "-name", "size": "200"}))
    assert rows == listed  # the same rows in the same order as the page
    client.force_login(world.users["grid_worker"])  # a colleague of the same branch
    assert client.get(reverse("control:export_download", kwargs={"pk": job.pk})).status_code == 404


@pytest.mark.parametrize(
    "role", ["district_admin", "town_admin", "grid_worker", "department_liaison"]
)
@pytest.mark.parametrize("url", [URL, "/check-ins/history/", "/floating/", "/floating/lost/"])
def test_a_list_shows_the_same_rows_read_through_a_narrow_scopes_ids_or_not(
    world, client_for, monkeypatch, role, url
):
    from heli.audit.services import Actor
    from heli.control import floating_lists, member_lists, work_lists
    from heli.mobility.checkins import record_check_in
    from heli.mobility.models import Document, FloatingRecord

    # Seen by town A through one path each: reported to its village; floating in its grid's
    # chain committee (a check-in seen through the member's industry chain).
    MemberFactory(org=world.external, residence_grid=world.grid_b, reported_to=world.village_a)
    chained = MemberFactory(org=world.branch_b, residence_grid=world.grid_b,
                            industry_chain=world.branch_a)  # fmt: skip
    # Floating records of town B seen by town A through one organization path each.
    for field in ("inflow_org", "industry_chain", "joined_org"):
        away = MemberFactory(org=world.branch_b, residence_grid=world.grid_b, status="floating",
                             floating_direction="out", floating_place="上海市浦东新区")  # fmt: skip
        FloatingRecord.unscoped.create(
            member=away, direction="out", outflow_org=world.branch_b, place="上海市浦东新区",
            grid=world.grid_b, since=dt.date(2026, 1, 5), flow_range="province",
            reason="work", expected_months=12, document=Document.TRANSFER,
            last_contact_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), **{field: world.branch_a},
        )  # fmt: skip
    staff = Actor(world.users["district_admin"])
    record_check_in(staff, chained, world.station_b)
    for member, station in ((world.member_a, world.station_a), (world.member_b, world.station_b)):
        record_check_in(staff, member, station)
    client = client_for(world.users[role])
    params = {"size": "200", "status": "all"}
    narrow = [row["pk"] for row in client.get(url, params).context["rows"]]
    assert narrow, "the world gives every role something to list"
    monkeypatch.setattr(member_lists, "NARROW_MEMBERS", -1)  # every scope read as broad
    monkeypatch.setattr(work_lists, "NARROW_MEMBERS", -1)
    monkeypatch.setattr(floating_lists, "NARROW_RECORDS", -1)
    assert [row["pk"] for row in client.get(url, params).context["rows"]] == narrow
