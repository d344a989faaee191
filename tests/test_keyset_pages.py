"""Deep pages of a list are read by keyset, not OFFSET: walking Next and Previous past the
numbered pages shows every row once, in order, whatever the sort; a cursor the user may not
see, or one from a stale link, falls back to a numbered page."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heli.control.lists import keyset
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
URL = "/members/"
SIZE = "20"


@pytest.fixture
def roll(world):
    """Enough members in town A for five pages of 20, names and join dates repeating so that
    the primary key has to break ties."""
    for n in range(90):
        MemberFactory(
            name=f"翻页{n % 7}",
            org=world.branch_a,
            joined_on=dt.date(2000 + n % 2, 1, 1),
        )
    return world


@pytest.fixture
def one_numbered_page(monkeypatch):
    monkeypatch.setattr(keyset, "OFFSET_ROWS", int(SIZE))  # page 2 on is a keyset page


def pks(response) -> list[int]:
    return [row["pk"] for row in response.context["rows"]]


def link(response, rel: str) -> str | None:
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def walk(client, query: str, rel: str) -> list[list[int]]:
    pages = []
    while query is not None:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200
        pages.append(pks(response))
        query = link(response, rel)
    return pages


def everything(client, sort: str) -> list[int]:
    return pks(client.get(URL, {"sort": sort, "size": "200"}))


@pytest.mark.parametrize("sort", ["name", "-name", "joined_on", "-joined_on"])
def test_next_walks_every_row_once_in_order_past_the_numbered_pages(
    roll, client, monkeypatch, sort
):
    client.force_login(roll.users["town_admin"])
    expected = everything(client, sort)
    assert len(expected) > 90  # the town's own members and the roll
    monkeypatch.setattr(keyset, "OFFSET_ROWS", int(SIZE))
    pages = walk(client, f"sort={sort}&size={SIZE}", "next")
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == int(SIZE) for page in pages[:-1])


def test_previous_walks_back_to_the_first_page(roll, client, one_numbered_page):
    client.force_login(roll.users["town_admin"])
    forward = walk(client, f"sort=name&size={SIZE}", "next")
    last = client.get(URL, {"sort": "name", "size": SIZE})
    query = link(last, "next")
    while (after := link(client.get(f"{URL}?{query}"), "next")) is not None:
        query = after
    backward = walk(client, query, "prev")
    assert backward == forward[::-1]


def test_a_deep_page_says_where_it_is_and_reads_no_offset(roll, client, one_numbered_page):
    client.force_login(roll.users["town_admin"])
    second = link(client.get(URL, {"sort": "name", "size": SIZE}), "next")
    assert "after=" in second  # past the numbered pages: a keyset link
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"{URL}?{second}")
    assert page.context["page"].number == 2
    assert page.context["page"].start_index() == int(SIZE) + 1
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    assert 'data-testid="page-deep"' in page.content.decode()  # the jump box's limit said


def test_a_deep_page_number_without_a_cursor_shows_the_last_numbered_page(
    roll, client, one_numbered_page
):
    client.force_login(roll.users["town_admin"])
    first = pks(client.get(URL, {"sort": "name", "size": SIZE}))
    assert pks(client.get(URL, {"sort": "name", "size": SIZE, "page": "4"})) == first


def test_a_cursor_on_another_towns_member_shows_nothing_of_theirs(roll, client, one_numbered_page):
    client.force_login(roll.users["town_admin"])
    theirs = MemberFactory(name="翻页3", org=roll.branch_b)
    first = pks(client.get(URL, {"sort": "name", "size": SIZE}))
    response = client.get(URL, {"sort": "name", "size": SIZE, "page": "2", "after": theirs.pk})
    assert pks(response) == first  # the cursor is ignored, not followed
    assert theirs.pk not in pks(response)


def test_a_filtered_list_past_its_bounded_count_still_pages_on(roll, client, monkeypatch):
    from heli.control import member_lists

    client.force_login(roll.users["town_admin"])
    query = {"sort": "name", "joined": "2001"}  # a filter: counted, not tallied
    expected = pks(client.get(URL, {**query, "size": "200"}))
    assert len(expected) > int(SIZE)
    monkeypatch.setattr(member_lists.MemberList, "count_limit", int(SIZE) - 1)
    monkeypatch.setattr(keyset, "OFFSET_ROWS", int(SIZE))
    first = client.get(URL, {**query, "size": SIZE})
    assert first.context["page"].paginator.more  # "more than 19"
    pages = walk(client, f"sort=name&joined=2001&size={SIZE}", "next")
    assert [pk for page in pages for pk in page] == expected


def test_an_order_with_a_nullable_field_pages_by_number(roll):
    from heli.core.scoping import Scope, activate
    from heli.members.models import Member

    with activate(Scope.everything()):
        _assert_orders(Member)


def _assert_orders(Member) -> None:
    assert keyset.seek_order(Member.objects.order_by("name", "pk")) is not None
    assert keyset.seek_order(Member.objects.order_by("-joined_on", "-pk")) is not None
    assert keyset.seek_order(Member.objects.order_by("name", "-pk")) is None  # mixed
    assert keyset.seek_order(Member.objects.order_by("name")) is None  # no tie-break
    assert keyset.seek_order(Member.objects.order_by("residence_grid__name", "pk")) is None


@pytest.mark.parametrize("query", [{"sort": "joined_on"}, {"sort": "name", "page": "2"}])
def test_a_page_sorts_ids_and_reads_its_rows_whole_by_id(roll, client, query):
    client.force_login(roll.users["town_admin"])
    table = connection.ops.quote_name("members_member")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL, {**query, "size": SIZE})
    sorted_reads = [
        q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and table in q["sql"]
    ]
    # The sort reads the ids alone; the wide rows (member, organization, grid) only by id.
    assert sorted_reads
    assert all(q.split(" FROM ")[0].count(",") == 0 for q in sorted_reads), sorted_reads
    assert len(pks(page)) == int(SIZE)
    assert (
        pks(page)
        == everything(client, query["sort"])[(int(query.get("page", 1)) - 1) * int(SIZE) :][
            : int(SIZE)
        ]
    )
