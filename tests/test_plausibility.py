"""Plausibility rules of services.check_consistency, each through the import (message in the
right column) and through the services and the member form (message on the right field)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from heli.audit.services import Actor
from heli.members import services
from heli.members.import_models import JobStatus
from heli.members.models import Member
from tests.factories import MemberFactory, make_id_number
from tests.test_member_import import (
    BORN,
    HEADERS,
    make_xlsx,
    member_row,
    problem_text,
    problems,
    run_check,
)

TODAY = timezone.localdate()  # the zone's day (Asia/Shanghai), as the checks count it


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def _check(world, headers: list[str] = HEADERS, **values):
    return run_check(world.users["town_admin"], make_xlsx([member_row(world, **values)], headers))


def _messages(world, column: str, **values) -> list[str]:
    """The messages of the row's problems in `column` (the row must be refused)."""
    job = _check(world, **values)
    assert job.status == JobStatus.INVALID
    return [message for _row, header, _value, message in problems(job) if header == column]


def _accepted(world, headers: list[str] = HEADERS, **values) -> None:
    job = _check(world, headers, **values)
    assert job.status == JobStatus.CHECKED, problem_text(job)


def _service_errors(world, **values) -> dict[str, list[str]]:
    """The errors create_member raises for a member with `values` (else {})."""
    data = {"name": "孙丽", "id_number": make_id_number(BORN, "F"), "ethnicity": "汉族",
            "birth_date": BORN, "education": "bachelor", "joined_on": dt.date(2010, 7, 1),
            "full_on": dt.date(2011, 7, 1), "org": world.branch_a, "gender": "F"}  # fmt: skip
    data.update(values)
    try:
        services.create_member(Actor(world.users["town_admin"]), data)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _years_ago(years: int, days: int = 0) -> str:
    return (TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)).isoformat()


# 1. Gender and the ID number's 17th digit ------------------------------------------------


@pytest.mark.django_db
def test_a_gender_other_than_the_id_numbers_17th_digit_is_refused_on_the_gender(world):
    number = make_id_number(BORN, "M")
    [message] = _messages(world, "性别", id_number=number, gender="女")
    assert message == "性别与公民身份号码不一致：号码第17位表示男。"
    _accepted(world, id_number=number, gender="男")
    assert _service_errors(world, id_number=number, gender="F")["gender"] == [message]


@pytest.mark.django_db
def test_the_member_form_shows_the_gender_and_probation_problems_on_their_fields(world, client):
    client.force_login(world.users["branch_secretary"])
    data = {
        "name": "孙丽", "id_number": make_id_number(BORN, "M"), "gender": "F",
        "birth_date": "1985-06-15", "ethnicity": "汉族", "education": "bachelor",
        "joined_on": "2015-07-01", "full_on": "2015-12-01", "membership": "full",
        "org": world.branch_a.pk, "occupation": "rider", "status": "normal",
    }  # fmt: skip
    response = client.post(reverse("control:member_create"), data)
    errors = response.context["form"].errors
    assert errors["gender"] == ["性别与公民身份号码不一致：号码第17位表示男。"]
    assert "预备期为一年" in errors["full_on"][0]
    assert not Member.unscoped.filter(name="孙丽").exists()


@pytest.mark.django_db
def test_editing_a_member_checks_the_gender_against_the_stored_id_number(world):
    member = MemberFactory(org=world.branch_a, gender="M")
    with pytest.raises(ValidationError) as refused:
        services.update_member(Actor(world.users["town_admin"]), member, {"gender": "F"}, 1)
    assert "gender" in refused.value.message_dict


# 2. Joining before the 18th birthday -------------------------------------------------------


@pytest.mark.django_db
def test_joining_before_the_18th_birthday_is_refused(world):
    [message] = _messages(world, "入党日期", joined_on="2003-06-14", full_on="2004-06-14")
    assert message.startswith("入党日期早于年满十八周岁之日（2003-06-15）")
    _accepted(world, joined_on="2003-06-15", full_on="2004-06-15")
    errors = _service_errors(world, joined_on=dt.date(2003, 6, 14), full_on=None)
    assert errors["joined_on"] == [message]


@pytest.mark.django_db
def test_a_year_month_is_compared_by_month_with_the_18th_birthday(world):
    _accepted(world, joined_on="2003.06", full_on="2004-07-01")  # maybe after the birthday
    [message] = _messages(world, "入党日期", joined_on="2003.05", full_on="2004-07-01")
    assert "年满十八" in message


# 3. Dates in the future ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "column", "label"),
    [
        ({"joined_on": "2099-01-01", "full_on": ""}, "入党日期", "入党日期"),
        ({"full_on": "2099-01-01"}, "转正日期", "转正日期"),
        ({"reported_on": "2099-01-01"}, "报到日期", "报到日期"),
        ({"status": "流动", "floating_direction": "流出", "floating_place": "上海市",
          "floating_since": "2099-01-01"}, "流动开始日期", "流动开始日期"),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_a_date_in_the_future_is_refused_naming_the_field(world, values, column, label):
    if "reported_on" in values:
        values["reported_to"] = world.village_a.name
    messages = _messages(world, column, **values)
    assert f"{label} 2099-01-01 晚于今天。" in messages


@pytest.mark.django_db
def test_a_birth_date_in_the_future_is_refused_by_the_service(world):
    member = Member(birth_date=TODAY + dt.timedelta(days=1), joined_on=None, full_on=None)
    with pytest.raises(ValidationError) as refused:
        services.check_consistency(member, None)
    assert refused.value.message_dict["birth_date"][0].startswith("出生日期 ")


@pytest.mark.django_db
def test_a_year_month_of_this_month_is_not_in_the_future(world):
    this_month = f"{TODAY.year}.{TODAY.month:02d}"
    _accepted(world, floating_since=this_month, status="流动", floating_direction="流出",
              floating_place="上海市")  # fmt: skip


# 4. 转正日期 at least a year after 入党日期 ----------------------------------------------


@pytest.mark.django_db
def test_becoming_full_less_than_a_year_after_joining_is_refused(world):
    [message] = _messages(world, "转正日期", joined_on="2010-07-01", full_on="2011-06-30")
    assert message == "预备期为一年，转正日期最早为入党满一年之日（2011-07-01）。"
    _accepted(world, joined_on="2010-07-01", full_on="2011-07-01")
    errors = _service_errors(world, full_on=dt.date(2011, 6, 30))
    assert errors["full_on"] == [message]


@pytest.mark.parametrize(
    ("joined", "full", "checked"),
    [
        ("1965-03-01", "1965-09-01", True),  # 8th Congress constitution: one year
        ("1956-09-25", "1957-03-01", False),  # before it: varied by class
        ("1970-03-01", "1970-09-01", False),  # 9th and 10th: no probation
        ("1977-08-17", "1978-01-01", False),
        ("1977-08-18", "1978-01-01", True),  # 11th Congress restored the year
    ],
)
@pytest.mark.django_db
def test_the_probation_year_is_checked_only_where_the_constitution_of_the_day_set_it(
    world, joined, full, checked
):
    values = {"joined_on": joined, "full_on": full, "birth_date": "1930-01-01",
              "id_number": make_id_number(dt.date(1930, 1, 1))}  # fmt: skip
    if checked:
        assert _messages(world, "转正日期", **values)
    else:
        _accepted(world, **values)


@pytest.mark.django_db
def test_year_months_are_compared_by_month_for_the_probation_year(world):
    _accepted(world, joined_on="2010.07", full_on="2011-07-01")
    _accepted(world, joined_on="2010-07-20", full_on="2011.07")
    assert _messages(world, "转正日期", joined_on="2010.07", full_on="2011.06")


# 5. Membership and 转正日期 ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_probationary_member_with_a_full_date_is_refused(world):
    joined = _years_ago(0, days=100)
    [message] = _messages(
        world, "转正日期", membership="预备党员", joined_on=joined, full_on=_years_ago(0, days=1)
    )
    assert message == "预备党员不应有转正日期：请清空转正日期，或将党员类别改为正式党员。"
    _accepted(world, membership="预备党员", joined_on=joined, full_on="")
    errors = _service_errors(world, membership="probationary", joined_on=dt.date.fromisoformat(
        joined), full_on=TODAY)  # fmt: skip
    assert errors["full_on"] == [message]


@pytest.mark.django_db
def test_a_full_member_without_a_full_date_after_the_probation_year_is_refused(world):
    [message] = _messages(world, "转正日期", full_on="")
    assert message == "正式党员须填写转正日期（预备期已于 2011-07-01 期满）。"
    assert _service_errors(world, full_on=None)["full_on"] == [message]
    # Joined under a constitution without the one-year probation: not judged.
    _accepted(world, full_on="", joined_on="1972-07-01", birth_date="1950-01-01",
              id_number=make_id_number(dt.date(1950, 1, 1)))  # fmt: skip


@pytest.mark.django_db
def test_a_file_without_the_full_date_column_is_not_judged_on_it(world):
    headers = [h for h in HEADERS if not h.startswith("转正日期")]
    _accepted(world, headers, full_on="")


@pytest.mark.django_db
def test_an_update_row_whose_file_lacks_the_full_date_column_is_not_judged_on_it(world):
    number = make_id_number(BORN, "F")
    MemberFactory(name="孙丽", gender="F", id_number=number, org=world.branch_a, full_on=None,
                  residence_grid=world.grid_a)  # fmt: skip
    headers = [h for h in HEADERS if not h.startswith("转正日期")]
    _accepted(world, headers, id_number=number, notes="换届")


@pytest.mark.django_db
def test_a_probationary_member_more_than_a_year_past_the_probation_year_is_refused(world):
    [message] = _messages(
        world, "党员类别", membership="预备党员", joined_on=_years_ago(2, days=1), full_on=""
    )
    assert "应已转为正式党员或被取消预备党员资格" in message
    # Within the year's extension: still possible.
    _accepted(world, membership="预备党员", joined_on=_years_ago(1, days=100), full_on="")
    errors = _service_errors(
        world, membership="probationary", joined_on=dt.date(2010, 7, 1), full_on=None
    )
    assert "应已转为正式党员" in errors["membership"][0]


# 6. Age over 110 ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_over_110_is_refused_on_the_birth_date(world):
    born = TODAY.replace(year=TODAY.year - 111)
    values = {"birth_date": born.isoformat(), "id_number": make_id_number(born),
              "joined_on": "1960-07-01", "full_on": "1961-07-01"}  # fmt: skip
    [message] = _messages(world, "出生日期", **values)
    assert message == "按此出生日期，该党员已超过110岁，请核对。"
    younger = born + dt.timedelta(days=1)
    _accepted(world, **{**values, "birth_date": younger.isoformat(),
                        "id_number": make_id_number(younger)})  # fmt: skip
    errors = _service_errors(
        world, birth_date=born, id_number=make_id_number(born, "F"),
        joined_on=dt.date(1960, 7, 1), full_on=dt.date(1961, 7, 1),
    )  # fmt: skip
    assert errors["birth_date"] == [message]
