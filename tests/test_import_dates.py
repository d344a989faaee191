"""Dates as people type them: year-months kept to the month and shown as 2010-07, numbers read
by their shape (never a year-month as an Excel serial), and what an update does with them.
Sheets are written by xlsxwriter, numbers as numbers in General cells as Excel keeps them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from heli.audit.services import Actor
from heli.members import dates, services
from heli.members.import_models import JobStatus
from heli.members.imports import jobs
from heli.members.imports.cells import DateReader, read_date
from heli.members.models import Member
from tests.factories import MemberFactory, make_id_number
from tests.test_member_import import (
    BORN,
    _check_and_save,
    make_xlsx,
    member_row,
    problem_text,
    problems,
    run_check,
)
from tests.test_member_reimport import Workbook, export

JOINED_BIT = dates.BITS["joined_on"]


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def _imported(world, **values) -> Member:
    _check_and_save(world, [member_row(world, **values)])
    return Member.unscoped.get(name="孙丽")


def _problems_of(world, **values) -> list[tuple]:
    job = run_check(world.users["town_admin"], make_xlsx([member_row(world, **values)]))
    assert job.status == JobStatus.INVALID
    return problems(job)


@pytest.mark.parametrize(
    "cell", ["2010.07", "2010.7", "2010年7月", "2010年07月", "2010-7", "2010/07", "201007",
             201007, 2010.07, 2010.7]
)  # fmt: skip
@pytest.mark.django_db
def test_a_year_month_joining_date_is_stored_as_the_first_of_the_month_with_its_bit(world, cell):
    member = _imported(world, joined_on=cell)
    assert member.joined_on == dt.date(2010, 7, 1)
    assert member.month_dates == JOINED_BIT


@pytest.mark.django_db
def test_a_year_month_typed_into_a_general_cell_is_never_read_as_an_excel_serial(world):
    # As a serial, 2023.05 would be 1905-07-15.
    assert read_date(2023.05)[:2] == (dt.date(2023, 5, 1), True)
    member = _imported(world, joined_on=2010.12, full_on="2011-12-01")
    assert member.joined_on == dt.date(2010, 12, 1)


@pytest.mark.django_db
def test_an_excel_serial_in_a_number_cell_is_an_exact_date(world):
    member = _imported(world, joined_on=40360)  # 2010-07-01
    assert (member.joined_on, member.month_dates) == (dt.date(2010, 7, 1), 0)


def test_a_number_is_read_by_its_shape():
    assert read_date(20100701)[:2] == (dt.date(2010, 7, 1), False)
    assert read_date(3654)[:2] == (dt.date(1910, 1, 1), False)
    assert read_date(73415)[:2] == (dt.date(2100, 12, 31), False)
    assert read_date(3653)[0] is None and read_date(73416)[0] is None
    assert read_date("2010.1")[:2] == (dt.date(2010, 1, 1), True)  # text says what it means


def test_the_date_reader_remembers_each_value_and_why_it_is_no_date():
    reader = DateReader()
    assert reader("2010.07") == reader("2010.07") == dt.date(2010, 7, 1)
    assert "2010.07" in reader.monthly
    assert reader(2010.1) is None and "October" in reader.reason(2010.1)
    assert reader("") is None and reader.reason("") == ""


@pytest.mark.django_db
def test_2010_1_as_a_number_is_refused_as_january_or_a_shortened_october(world):
    [(row, column, value, message)] = _problems_of(world, joined_on=2010.1)
    assert (row, column, value) == (2, "入党日期", "2010.1")
    assert "1月" in message and "10月" in message and "文本" in message


@pytest.mark.parametrize("cell", [2010, "2010"])
@pytest.mark.django_db
def test_a_bare_year_is_refused_because_the_month_is_missing(world, cell):
    [(row, column, value, message)] = _problems_of(world, joined_on=cell)
    assert (row, column, value) == (2, "入党日期", "2010")
    assert "只有年份，缺少月份" in message


@pytest.mark.parametrize("cell", [123, 99999999, 2010.13, -5])
@pytest.mark.django_db
def test_any_other_number_is_refused_naming_the_cell(world, cell):
    [(row, column, _value, message)] = _problems_of(world, joined_on=cell)
    assert (row, column) == (2, "入党日期")
    assert "不是日期" in message


@pytest.mark.django_db
def test_a_year_month_birth_date_that_agrees_with_the_id_number_takes_its_exact_day(world):
    member = _imported(world, birth_date="1985.06")
    assert (member.birth_date, member.month_dates) == (BORN, 0)


@pytest.mark.django_db
def test_a_year_month_birth_date_in_another_month_than_the_id_number_is_refused(world):
    [(_row, column, _value, message)] = _problems_of(world, birth_date="1985年7月")
    assert column == "出生日期" and "出生日期与公民身份号码不一致" in message


def _month_only_member(world) -> Member:
    member = MemberFactory(name="王芳", org=world.branch_a, residence_grid=world.grid_a)
    member.month_dates = JOINED_BIT
    member.save()
    return member


@pytest.mark.django_db
def test_year_months_are_shown_as_year_month_on_the_member_page_the_list_and_the_export(
    world, client
):
    member = _month_only_member(world)
    client.force_login(world.users["town_admin"])
    page = client.get(reverse("control:member_detail", args=[member.pk])).content.decode()
    assert "2010-07 " in page and "2010-07-01" not in page
    listed = client.get(reverse("control:member_list")).content.decode()
    assert ">2010-07<" in listed.replace(" ", "").replace("\n", "")
    book = Workbook(export(client, world.users["town_admin"], unmasked="1"))
    assert book.cell("王芳", "入党日期").value == "2010-07"
    assert book.cell("王芳", "转正日期").value != "2011-07"  # an exact date stays a date


@pytest.mark.django_db
def test_an_exported_year_month_imports_back_as_no_change(world, client):
    _month_only_member(world)
    content = export(client, world.users["town_admin"], unmasked="1")
    job = run_check(world.users["town_admin"], content)
    assert job.status == JobStatus.DONE, problem_text(job)  # nothing to confirm
    assert (job.update_rows, job.changes) == (0, [])


@pytest.mark.django_db
def test_editing_a_date_in_the_form_makes_it_exact_and_leaving_it_keeps_the_month(world):
    member = _month_only_member(world)
    actor = Actor(world.users["town_admin"])
    data = {"name": "王芳", "notes": "换届"}
    member = services.update_member(actor, member, data, member.version)
    assert member.month_dates == JOINED_BIT
    data = {"joined_on": dt.date(2010, 7, 12), "full_on": dt.date(2011, 7, 12)}
    member = services.update_member(actor, member, data, member.version)
    assert (member.joined_on, member.month_dates) == (dt.date(2010, 7, 12), 0)


@pytest.mark.django_db
def test_the_form_says_which_dates_are_known_only_to_the_month(world, client):
    member = _month_only_member(world)
    client.force_login(world.users["town_admin"])
    form = client.get(reverse("control:member_edit", args=[member.pk])).context["form"]
    assert "仅知年月（2010-07）" in form.fields["joined_on"].help_text
    assert not form.fields["full_on"].help_text


def _update_joined(world, cell) -> tuple:
    """Import a row for a registered member (joined 2010-07-15, exact) with `cell` as its
    入党日期; (the job, the member after the save)."""
    number = make_id_number(dt.date(1985, 6, 15), "M")
    member = MemberFactory(name="赵强", org=world.branch_a, residence_grid=world.grid_a,
                           id_number=number, joined_on=dt.date(2010, 7, 15),
                           full_on=dt.date(2011, 7, 15))  # fmt: skip
    row = member_row(world, name="赵强", id_number=number, joined_on=cell, full_on="2011-07-15",
                     gender="男", phone="13812345678")  # fmt: skip
    user = world.users["town_admin"]
    job = run_check(user, make_xlsx([row]))
    assert job.status != JobStatus.INVALID, problem_text(job)
    if job.update_rows:
        assert jobs.confirm(job, Actor(user))
        job = jobs.run_job(job)
    member.refresh_from_db()
    return job, member


@pytest.mark.django_db
def test_an_update_whose_year_month_falls_in_the_month_of_the_stored_exact_date_changes_nothing(
    world,
):
    job, member = _update_joined(world, "2010.07")
    assert (job.update_rows, job.unchanged_rows) == (0, 1)
    assert (member.joined_on, member.month_dates) == (dt.date(2010, 7, 15), 0)


@pytest.mark.django_db
def test_an_update_with_a_year_month_in_another_month_stores_that_month(world):
    job, member = _update_joined(world, "2010年6月")
    assert [c[3:] for c in job.changes] == [["入党日期", "2010-07-15", "2010-06"]]
    assert (member.joined_on, member.month_dates) == (dt.date(2010, 6, 1), JOINED_BIT)
    assert member.changes.get(action="update").fields == {"joined_on": ["2010-07-15", "2010-06"]}


@pytest.mark.django_db
def test_an_exact_date_replaces_a_stored_year_month_even_on_the_first_of_the_month(world):
    number = make_id_number(dt.date(1985, 6, 15), "F")
    member = MemberFactory(name="钱红", gender="F", org=world.branch_a, id_number=number,
                           residence_grid=world.grid_a)  # fmt: skip
    member.month_dates = JOINED_BIT
    member.save()
    row = member_row(world, name="钱红", id_number=number, joined_on="2010-07-01",
                     gender="女", phone="13812345678")  # fmt: skip
    user = world.users["town_admin"]
    job = run_check(user, make_xlsx([row]))
    assert [c[3:] for c in job.changes] == [["入党日期", "2010-07", "2010-07-01"]]
    assert jobs.confirm(job, Actor(user))
    jobs.run_job(job)
    member.refresh_from_db()
    assert (member.joined_on, member.month_dates) == (dt.date(2010, 7, 1), 0)
