"""The picker of regions and organizations: pinyin initials kept with every name, a scoped
lookup by name, initials and parent, and a form field that refuses whatever was not picked."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from heli.audit.services import Actor
from heli.core.pinyin import as_initials, initials, prefix_range
from heli.core.scoping import activate
from heli.orgs import services
from heli.orgs.models import OrgLevel, PartyOrg, Region, RegionKind
from heli.stations.models import Station
from tests.factories import PartyOrgFactory, RegionFactory


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张伟", "zw"),
        ("崔桥村第1网格", "cqcd1wg"),
        ("崔桥村第1网格党支部", "cqcd1wgdzb"),
        ("ABC公司 2号楼", "abcgs2hl"),
        ("第１２网格（东片）", "d12wgdp"),  # full-width digits and brackets, as typed on phones
        ("", ""),
    ],
)
def test_initials_are_the_first_pinyin_letters_with_latin_letters_and_digits_kept(name, expected):
    assert initials(name) == expected


def test_initials_read_every_character_as_pypinyin_does_and_phrases_through_it():
    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PINYIN_DICT

    def pypinyin_initials(text: str) -> str:
        letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
        return "".join(ch for ch in letters if ch.isascii() and ch.isalnum())

    characters = [chr(code) for code in PINYIN_DICT if code < 0x20000]
    names = ["曾伟", "单雄信", "王长乐", "重庆银行", "解放军", "朴仇", "党员1", "长江行"]
    for text in characters + names:
        assert initials(text) == pypinyin_initials(text), text
    assert initials("重庆银行") == "cqyh"  # the phrases: 重 chóng, 行 háng


def test_a_prefix_of_initials_is_an_index_range_up_to_the_next_string():
    assert prefix_range("f", "cqc") == {"f__gte": "cqc", "f__lt": "cqd"}
    assert prefix_range("f", "d9") == {"f__gte": "d9", "f__lt": "da"}
    assert prefix_range("f", "az") == {"f__gte": "az", "f__lt": "b"}
    assert prefix_range("f", "zz") == {"f__gte": "zz"}
    with pytest.raises(ValueError):
        prefix_range("f", "崔")


def test_only_letters_and_digits_are_searched_as_initials():
    assert as_initials(" CQC ") == "cqc"
    assert as_initials("ｃｑｃ１") == "cqc1"
    assert as_initials("崔桥") is None
    assert as_initials("c q") is None


@pytest.mark.django_db
def test_initials_follow_every_name_written_by_the_services_and_factories(world, everything):
    assert Region.objects.get(pk=world.grid_a.pk).name_initials == "cqcd1wg"
    actor = Actor(user=world.users["district_admin"])
    org = services.create_org(
        actor,
        world.village_a_org,
        {"name": "崔桥村老年协会党支部", "level": OrgLevel.BRANCH, "category": "regional"},
    )
    assert PartyOrg.objects.get(pk=org.pk).name_initials == "cqclnxhdzb"
    services.update_org(actor, org, {"name": "崔桥村老干部党支部"})
    assert PartyOrg.objects.get(pk=org.pk).name_initials == "cqclgbdzb"
    region = Region.objects.get(pk=world.grid_a2.pk)
    region.name = "东片网格"
    region.save(update_fields=["name"])
    assert Region.objects.get(pk=region.pk).name_initials == "dpwg"


@pytest.mark.django_db
def test_the_migration_fills_the_initials_of_existing_rows(world, everything):
    from importlib import import_module

    fill = import_module("heli.orgs.migrations.0003_name_initials").fill_initials
    Region.unscoped.update(name_initials="")
    PartyOrg.unscoped.update(name_initials="")
    fill(apps, None)
    assert Region.unscoped.get(pk=world.village_a.pk).name_initials == "cqc"
    assert PartyOrg.unscoped.get(pk=world.branch_b.pk).name_initials == "jhcd1wgdzb"


def _labels(client, lookup: str, q: str, **params) -> list[str]:
    url = reverse("control:lookup", kwargs={"kind": lookup})
    return [r["label"] for r in client.get(url, {"q": q, **params}).json()["results"]]


@pytest.mark.django_db
def test_the_lookup_finds_organizations_by_pinyin_initials(world, client):
    client.force_login(world.users["district_admin"])
    assert _labels(client, "orgs", "cqcd1") == ["崔桥村第1网格党支部 · 崔桥村党总支"]
    assert _labels(client, "orgs", "CQC") == [
        "崔桥村党总支 · 横林镇党委",
        "崔桥村第1网格党支部 · 崔桥村党总支",
        "崔桥村第2网格党支部 · 崔桥村党总支",
    ]
    assert _labels(client, "regions", "jhc") == ["剑湖村 · 遥观镇", "剑湖村第1网格 · 剑湖村"]


@pytest.mark.django_db
def test_the_lookup_finds_the_children_of_a_parent_by_its_name(world, client, everything):
    RegionFactory(name="东片网格", parent=world.village_a)
    PartyOrgFactory(name="老年协会党支部", parent=world.village_a_org)
    client.force_login(world.users["town_admin"])
    assert "东片网格 · 崔桥村" in _labels(client, "regions", "崔桥村", kind=RegionKind.GRID)
    assert "老年协会党支部 · 崔桥村党总支" in _labels(client, "orgs", "崔桥村党总支")
    assert "老年协会党支部 · 崔桥村党总支" in _labels(client, "orgs", "cqcdzz")


@pytest.mark.django_db
def test_the_lookup_never_returns_what_lies_outside_the_users_scope(world, client):
    client.force_login(world.users["outsider"])  # town B's admin
    assert _labels(client, "orgs", "cqc") == []
    assert _labels(client, "orgs", "崔桥") == []
    assert _labels(client, "regions", "hlz") == []
    client.force_login(world.users["branch_secretary"])  # 崔桥村第1网格党支部
    assert _labels(client, "orgs", "cqc") == ["崔桥村第1网格党支部 · 崔桥村党总支"]
    assert _labels(client, "orgs", "网格党支部") == ["崔桥村第1网格党支部 · 崔桥村党总支"]


@pytest.mark.django_db
def test_every_word_typed_must_match(world, client):
    client.force_login(world.users["district_admin"])
    assert _labels(client, "regions", "cqc 2") == ["崔桥村第2网格 · 崔桥村"]


def _station_data(station: Station, **changes) -> dict:
    data = {
        "kind": station.kind,
        "name": station.name,
        "grid": station.grid_id,
        "org": station.org_id,
        "opening_hours": station.opening_hours,
        "services": station.services,
    }
    return {**data, **changes}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("posted", "shown"),
    [
        ("outside", None),  # an organization of town B: not among the choices of town A
        ("12abc", "12abc"),  # no id at all
        ("?崔桥村第9网格", "崔桥村第9网格"),  # typed in the picker and never picked
    ],
)
def test_a_station_form_refuses_an_organization_that_was_not_picked(world, client, posted, shown):
    client.force_login(world.users["town_admin"])
    station = world.station_a
    if posted == "outside":
        posted = shown = str(world.branch_b.pk)
    url = reverse("control:station_edit", kwargs={"pk": station.pk})
    response = client.post(url, _station_data(station, org=posted))
    assert response.status_code == 200
    errors = response.context["form"].errors["org"]
    assert errors == [
        f"“{shown}”不在可选范围内。请输入名称的一部分、拼音首字母或上级名称，再从建议中选择。"
    ]
    assert Station.unscoped.get(pk=station.pk).org_id == world.branch_a.pk


@pytest.mark.django_db
def test_a_station_form_saves_the_organization_that_was_picked(world, client):
    client.force_login(world.users["town_admin"])
    station = world.station_a
    url = reverse("control:station_edit", kwargs={"pk": station.pk})
    response = client.post(url, _station_data(station, org=world.branch_a2.pk))
    assert response.status_code == 302
    assert Station.unscoped.get(pk=station.pk).org_id == world.branch_a2.pk


@pytest.mark.django_db
def test_an_edit_form_shows_the_current_organization_as_the_chosen_option(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:station_edit", kwargs={"pk": world.station_a.pk})
    html = client.get(url).content.decode()
    assert (
        f'<option value="{world.branch_a.pk}" selected>崔桥村第1网格党支部 · 崔桥村党总支</option>'
        in html
    )
    assert "vendor/tom-select/js/tom-select.complete.min.js" in html
    assert "vendor/tom-select/css/tom-select.bootstrap5.min.css" in html
    assert reverse("control:lookup", kwargs={"kind": "orgs"}) in html


@pytest.mark.django_db
def test_the_widget_renders_outside_a_form_with_the_current_choice_resolved_in_scope(world):
    from heli.control.widgets import NodeLookup

    with activate(world.users["town_admin"].scope()):  # as the request's, in a view
        widget = NodeLookup("orgs", queryset=PartyOrg.objects.all())
        html = widget.render("org", str(world.branch_a.pk))
        outside = widget.render("org", str(world.branch_b.pk))
    assert 'name="org"' in html and 'data-picker-url="/lookup/orgs/"' in html
    label = "崔桥村第1网格党支部 · 崔桥村党总支"
    assert f'<option value="{world.branch_a.pk}" selected>{label}</option>' in html
    # An id outside the user's scope is shown as it came, never named.
    assert f'<option value="{world.branch_b.pk}" selected>{world.branch_b.pk}</option>' in outside
    assert "剑湖村" not in outside
