"""The server errors a probe found, each answered as "no such object" now: numbers past
SQLite's 64-bit integers and digits `int` refuses in ids, batch paths and ?grid=, and export
file names built from names that hold a slash. (tests/test_fuzz_urls.py walks every URL.)"""

from __future__ import annotations

from urllib.parse import unquote, urlencode

import pytest
from django.urls import reverse

from heli.core.exporters import safe_filename
from heli.core.params import to_id, to_ids, to_int

HUGE = str(2**63)
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "raw", [HUGE, str(10**30), "-1", "0", "", None, "abc", "²", "١٢", " 12x", "1.5"]
)
def test_it_reads_no_id_from_what_is_not_a_plain_number_a_database_id_holds(raw):
    assert to_id(raw) is None


def test_it_reads_ids_and_numbers_in_range():
    assert to_id(" 42 ") == 42
    assert to_id(str(2**63 - 1)) == 2**63 - 1
    assert to_ids(["3", "1", HUGE, "²", "3"]) == [1, 3]
    assert to_int("2026", low=1900, high=2100) == 2026
    assert to_int("2200", low=1900, high=2100) is None


def test_it_ignores_ids_past_64_bits_or_in_other_digits_in_a_list_query(world, client):
    client.force_login(world.users["district_admin"])
    for ids in (HUGE, str(10**30), "²", f"{world.letter_a.pk},{HUGE}"):
        response = client.get(reverse("control:letter_list"), {"ids": ids})
        assert response.status_code == 200, ids


def test_it_answers_404_for_a_letter_batch_named_by_an_id_past_64_bits(world, client):
    client.force_login(world.users["district_admin"])
    for ids in (HUGE, str(10**30), f"{world.letter_a.pk},{HUGE}"):
        response = client.get(f"/letters/batch/{ids}/letters.docx")
        assert response.status_code == 404, ids
        assert client.get(f"/letters/batch/{ids}/letters.zip").status_code == 404, ids


def test_it_opens_an_empty_station_form_for_a_grid_past_64_bits(world, client):
    client.force_login(world.users["district_admin"])
    for grid in (HUGE, str(10**30), "²", "-1"):
        response = client.get(reverse("control:station_create"), {"grid": grid})
        assert response.status_code == 200, grid


def test_it_exports_the_ledger_of_a_region_whose_name_holds_a_slash(world, client):
    world.grid_a.name = "崔桥村/第1网格\\东\x07"
    world.grid_a.save(update_fields=["name"])
    world.branch_a.name = "崔桥村/第1网格党支部"
    world.branch_a.save(update_fields=["name"])
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:ledger_export", kwargs={"pk": world.grid_a.pk, "kind": "affiliated"})
    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "filename*=utf-8''" in disposition
    name = unquote(disposition.split("filename*=utf-8''", 1)[1])
    assert name.endswith(".xlsx")
    assert "崔桥村" in name
    assert not set(name) & set("/\\\x07")


def test_it_makes_a_file_name_of_any_name_keeping_chinese_and_the_extension():
    assert safe_filename("东方/西区\\网格:1\x00\t.xlsx") == "东方_西区_网格_1__.xlsx"
    assert safe_filename("../..") == "export"
    long = safe_filename("党" * 400 + ".docx")
    assert long.endswith(".docx") and len(long) == 150


def test_it_refuses_a_url_holding_nul_as_a_bad_request(world, client):
    """PostgreSQL refuses NUL in text: a search or a path carrying one must not reach a query."""
    client.force_login(world.users["district_admin"])
    assert client.get(reverse("control:member_list"), {"q": "张\x00"}).status_code == 400
    assert (
        client.get(reverse("control:lookup", kwargs={"kind": "regions"}), {"q": "\x00"}).status_code
        == 400
    )
    assert client.get("/s/a%00b/").status_code == 400
    place = reverse("control:floating_temporary_branch")
    assert (
        client.post(place, urlencode({"place": "常州\x00"}), content_type=FORM).status_code == 400
    )
    # A multipart POST (as uploads are sent) reaches the view, which reads no NUL into a query.
    assert client.post(place, {"place": "常州\x00"}).status_code == 200
    assert client.get(reverse("control:member_list"), {"q": "张"}).status_code == 200
