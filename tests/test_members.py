"""The member registry: pages, masking per role, audit, conflicts, soft delete, ledgers."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.members import idcard, ledgers, services
from heli.members.models import Member, MemberChange
from heli.reports import ledgers as ledger_counts
from tests import sheets
from tests.factories import MemberFactory, make_id_number


def _rows(response) -> list[list]:
    """The header and the rows of an exported workbook (its title block left out)."""
    sheet = sheets.read(response)
    return [sheet.header, *sheet.rows]


def _create_data(world, **extra):
    born = dt.date(1990, 5, 20)
    return {
        "name": "孙丽", "id_number": make_id_number(born), "birth_date": "1990-05-20",
        "ethnicity": "汉族", "education": "bachelor", "joined_on": "2015-07-01",
        "membership": "full", "full_on": "2016-07-01", "org": world.branch_a.pk,
        "residence_grid": world.grid_a.pk,
        "occupation": "rider", "status": "normal", "phone": "13912345678",
        **extra,
    }  # fmt: skip


@pytest.mark.django_db
def test_a_branch_secretary_registers_a_member_whose_id_is_stored_encrypted(world, client):
    client.force_login(world.users["branch_secretary"])
    data = _create_data(world)
    response = client.post(reverse("control:member_create"), data)
    assert response.status_code == 302
    member = Member.unscoped.get(name="孙丽")
    assert data["id_number"].encode() not in bytes(member.id_cipher)
    assert unseal(member, "id_cipher") == data["id_number"]
    assert member.id_mask == "*" * 16 + data["id_number"][-2:]
    assert member.phone_mask == "139****5678"
    assert member.gender == ("M" if int(data["id_number"][16]) % 2 else "F")
    assert member.changes.get().action == "create"
    assert AuditEntry.unscoped.filter(action="member.create", object_id=str(member.pk)).exists()


@pytest.mark.django_db
def test_the_birth_date_is_read_from_the_id_number_whatever_the_form_sends(world, client):
    client.force_login(world.users["branch_secretary"])
    response = client.post(
        reverse("control:member_create"), _create_data(world, birth_date="1991-05-20")
    )
    assert response.status_code == 302
    assert Member.unscoped.get(name="孙丽").birth_date == dt.date(1990, 5, 20)
    form = client.get(reverse("control:member_create")).context["form"]
    assert "birth_date" not in form.fields


@pytest.mark.django_db
def test_a_new_id_number_brings_its_birth_date(world, client):
    client.force_login(world.users["branch_secretary"])
    member = world.member_a
    number = make_id_number(dt.date(1970, 1, 2))
    url = reverse("control:member_edit", kwargs={"pk": member.pk})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(id_number=number, name=member.name, gender=idcard.gender(number))
    data = {**{k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert member.birth_date == dt.date(1970, 1, 2)
    assert "birth_date" in member.changes.latest("at").fields


@pytest.mark.django_db
def test_a_duplicate_id_number_anywhere_in_the_zone_is_refused(world, client):
    number = make_id_number(dt.date(1990, 5, 20))
    MemberFactory(org=world.branch_b, id_number=number, birth_date=dt.date(1990, 5, 20))
    client.force_login(world.users["branch_secretary"])  # cannot see town B's member
    response = client.post(reverse("control:member_create"), _create_data(world, id_number=number))
    assert response.status_code == 200
    assert "已" in str(response.context["form"].errors["id_number"])


@pytest.mark.django_db
def test_a_bad_check_code_shows_the_reason_on_the_form(world, client):
    client.force_login(world.users["branch_secretary"])
    number = make_id_number(dt.date(1990, 5, 20))
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = client.post(reverse("control:member_create"), _create_data(world, id_number=wrong))
    assert "校验码" in str(response.context["form"].errors["id_number"])


@pytest.mark.django_db
def test_lists_show_ids_and_phones_masked_for_every_role(world, client):
    for role in ("district_admin", "branch_secretary", "grid_worker"):
        client.force_login(world.users[role])
        html = client.get(reverse("control:member_list")).content.decode()
        assert world.member_a.id_mask in html
        assert unseal(world.member_a, "id_cipher") not in html
        assert "13812345678" not in html


@pytest.mark.django_db
def test_searching_by_a_full_id_number_finds_the_member_through_its_digest(world, client):
    client.force_login(world.users["district_admin"])
    url = reverse("control:member_list")
    number = unseal(world.member_b, "id_cipher")
    found = client.post(url, {"q": number}, follow=True)
    assert number not in found.redirect_chain[-1][0]
    assert list(found.context["page"].object_list) == [world.member_b]
    found = client.post(url, {"q": "138 1234 5678"}, follow=True)
    assert world.member_a in found.context["page"].object_list


@pytest.mark.django_db
def test_revealing_needs_the_right_and_is_audited(world, client):
    url = reverse("control:member_reveal", kwargs={"pk": world.member_a.pk})
    client.force_login(world.users["grid_worker"])
    assert client.post(url).status_code == 403
    client.force_login(world.users["branch_secretary"])
    html = client.post(url).content.decode()
    assert unseal(world.member_a, "id_cipher") in html and "13812345678" in html
    entry = AuditEntry.unscoped.get(action="member.reveal")
    assert entry.username == "secretary_a" and entry.object_id == str(world.member_a.pk)


@pytest.mark.django_db
def test_exports_are_masked_audited_and_unmasked_only_for_the_right_roles(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:member_export")
    rows = _rows(client.get(url))
    ids = {row[4] for row in rows[1:]}
    assert world.member_a.id_mask in ids and all("*" in i for i in ids)
    assert client.get(url, {"unmasked": "1"}).status_code == 403
    client.force_login(world.users["branch_secretary"])
    full = {row[4] for row in _rows(client.get(url, {"unmasked": "1"}))[1:]}
    assert unseal(world.member_a, "id_cipher") in full
    exports = AuditEntry.unscoped.filter(action="member.export").order_by("id")
    assert [e.detail["unmasked"] for e in exports] == [False, True]


@pytest.mark.django_db
def test_exported_cells_cannot_run_as_formulas(world, client):
    for text in ('=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"):
        MemberFactory(org=world.branch_a, employer=text, name="公式" + text[:1])
    client.force_login(world.users["branch_secretary"])
    response = client.get(reverse("control:member_export"), {"q": "公式"})
    data = sheets.body(response)
    rows = _rows(data)
    employer = rows[0].index("工作单位")
    employers = sorted(row[employer] for row in rows[1:])
    # The value stays what was stored (so it re-imports unchanged); the cell is text with
    # Excel's quote prefix, which shows it as text and never runs it.
    assert employers == sorted(['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value in employers]
    assert len(cells) == 4 and all(c.data_type == "s" and c.quotePrefix for c in cells)


@pytest.mark.django_db
def test_the_second_of_two_concurrent_edits_is_refused(world, client):
    url = reverse("control:member_edit", kwargs={"pk": world.member_a.pk})
    client.force_login(world.users["branch_secretary"])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"birth_date": "1985-06-15", "joined_on": "2010-07-01", "employer": "甲公司"})
    assert client.post(url, data).status_code == 302  # first save, version 1 → 2
    data["employer"] = "乙公司"
    response = client.post(url, data)  # still carries version 1
    assert response.status_code == 200
    assert "其他人" in response.content.decode() or "Someone else" in response.content.decode()
    world.member_a.refresh_from_db()
    assert world.member_a.employer == "甲公司" and world.member_a.version == 2


@pytest.mark.django_db
def test_the_service_refuses_a_stale_version(world):
    actor = Actor(user=world.users["district_admin"])
    services.update_member(actor, world.member_a, {"employer": "甲"}, expected_version=1)
    with pytest.raises(services.EditConflict):
        services.update_member(actor, world.member_a, {"employer": "乙"}, expected_version=1)


@pytest.mark.django_db
def test_a_failure_in_the_middle_of_a_save_leaves_the_database_unchanged(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(MemberChange.objects, "create", broken)
    before = (Member.unscoped.count(), AuditEntry.unscoped.count())
    data = {"name": "周", "gender": "M", "ethnicity": "汉族", "birth_date": dt.date(1985, 6, 15),
            "education": "bachelor", "joined_on": dt.date(2010, 7, 1),
            "full_on": dt.date(2011, 7, 1), "org": world.branch_a,
            "id_number": make_id_number(gender="M")}  # fmt: skip
    with pytest.raises(RuntimeError):
        services.create_member(Actor(user=None), data)
    with pytest.raises(RuntimeError):
        services.update_member(Actor(user=None), world.member_a, {"employer": "丙"}, 1)
    assert (Member.unscoped.count(), AuditEntry.unscoped.count()) == before
    world.member_a.refresh_from_db()
    assert world.member_a.employer == "" and world.member_a.version == 1


@pytest.mark.django_db
def test_deleting_needs_a_reason_hides_the_member_and_a_district_admin_restores_it(world, client):
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:member_delete", kwargs={"pk": world.member_a.pk})
    assert "reason" in client.post(url, {"reason": " "}).context["form"].errors
    assert client.post(url, {"reason": "重复录入"}).status_code == 302
    assert world.member_a not in client.get(reverse("control:member_list")).context["page"]
    assert Member.unscoped.get(pk=world.member_a.pk).deleted_reason == "重复录入"
    restore = reverse("control:member_restore", kwargs={"pk": world.member_a.pk})
    assert client.post(restore).status_code == 403
    client.force_login(world.users["district_admin"])
    assert client.post(restore).status_code == 302
    assert Member.unscoped.get(pk=world.member_a.pk).deleted_at is None
    actions = list(
        Member.unscoped.get(pk=world.member_a.pk).changes.values_list("action", flat=True)
    )
    assert actions[:2] == ["restore", "delete"]


@pytest.mark.django_db
def test_the_three_ledgers_are_derived_from_the_records(world):
    with activate(world.users["district_admin"].scope()):
        grid = ledger_counts.counts_for(world.grid_a)
        assert (grid.affiliated, grid.in_service, grid.floating) == (2, 0, 2)
        village = ledger_counts.counts_for(world.village_a)
        assert (village.affiliated, village.in_service, village.floating) == (2, 1, 2)
        assert set(ledgers.ledger_members("floating", world.grid_a)) == {
            world.outflow_a,
            world.inflow_a,
        }
        # Narrow places (a grid, a village) and broad ones (a town, the district) are read
        # each their own way: the rows ledger_q selects.
        for place in (world.grid_a, world.village_a, world.town_a, world.town_b, world.district):
            for kind in ledgers.Ledger:
                listed = set(ledgers.ledger_members(kind, place))
                assert listed == set(Member.objects.filter(ledgers.ledger_q(kind, place.path)))
                assert len(listed) == getattr(ledger_counts.counts_for(place), kind)
        by_town = ledger_counts.counts_by_child_region(world.district)
        assert by_town[world.town_a.path].floating == 2
        # Town B: 李娜, and 周杰 who floated out (affiliated there, and floating).
        assert (by_town[world.town_b.path].affiliated, by_town[world.town_b.path].floating) == (
            2,
            1,
        )


@pytest.mark.django_db
def test_the_floating_share_counts_active_members_in_scope(world):
    with activate(world.users["district_admin"].scope()):
        share = ledger_counts.floating_share()
    # 张伟, 李娜, 王强 (out), 潘永贤 (in), 赵敏 and 周杰 (out of town B); 钱进 is deleted.
    assert (share.members, share.floating, share.outflow, share.inflow) == (6, 3, 2, 1)
    assert share.share == pytest.approx(0.5)


@pytest.mark.django_db
def test_ledger_pages_and_exports_list_the_ledgers_members(world, client):
    client.force_login(world.users["town_admin"])
    url = reverse("control:ledger", kwargs={"pk": world.village_a.pk, "kind": "in_service"})
    assert list(client.get(url).context["page"].object_list) == [world.in_service_a]
    export = reverse("control:ledger_export", kwargs={"pk": world.village_a.pk, "kind": "floating"})
    names = {row[0] for row in _rows(client.get(export))[1:]}
    assert names == {"王强", "潘永贤"}
    assert (
        client.get(
            reverse("control:ledger", kwargs={"pk": world.village_a.pk, "kind": "nope"})
        ).status_code
        == 404
    )
