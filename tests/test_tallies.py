"""Member tallies: kept right through every kind of change, summed exactly for every scope,
and read by the pages instead of counting members."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.members import services
from heli.members.choices import ACTIVE_STATUSES
from heli.members.import_models import JobStatus
from heli.members.models import Member
from heli.mobility import floating
from heli.mobility.models import FloatingRecord
from heli.privacy import retention
from heli.reports import tallies
from heli.reports.models import FloatingTally, MemberTally
from tests.factories import MemberFactory, make_id_number
from tests.test_member_import import _check_and_save, member_row, problem_text
from tests.world import ROLES

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path / "imports"))


def assert_tallies_right() -> None:
    assert tallies.differences() == []


def _data(member: Member, **changes) -> dict:
    fields = (
        *("name", "gender", "ethnicity", "education", "joined_on", "membership", "full_on"),
        *("org", "residence_grid", "reported_to", "reported_on", "status", "occupation"),
    )
    return {**{f: getattr(member, f) for f in fields}, **changes}


def test_the_tallies_equal_the_members_after_every_kind_of_change(world, everything):
    assert_tallies_right()
    admin = Actor(world.users["district_admin"])
    created = services.create_member(
        admin,
        {**_data(world.member_a, name="新党员", gender=""), "id_number": make_id_number()},
    )
    assert_tallies_right()
    moved = services.update_member(
        admin,
        created,
        _data(
            created,
            org=world.branch_a2,
            residence_grid=world.grid_a2,
            reported_to=world.village_a,
            reported_on=dt.date(2024, 7, 1),
        ),
        created.version,
    )
    assert_tallies_right()
    record = floating.register(
        admin, moved,
        {"direction": "out", "place": "上海市", "since": dt.date(2026, 3, 1),
         "flow_range": "other_province", "reason": "work", "expected_months": 12},
    )  # fmt: skip
    assert_tallies_right()
    floating.register_return(admin, record, dt.date(2026, 9, 1))
    assert_tallies_right()
    services.transfer_relationship(admin, world.member_a, world.branch_b)
    assert_tallies_right()
    services.delete_member(admin, moved, "重复录入")
    assert_tallies_right()
    services.restore_member(admin, moved)
    assert_tallies_right()
    with translation.override("zh-hans"):
        job = _check_and_save(world, [member_row(world), member_row(world, name="周华")])
    assert job.status == JobStatus.DONE, problem_text(job)
    assert_tallies_right()
    Member.unscoped.filter(pk=world.member_b.pk).update(status="transferred_out")
    assert_tallies_right()
    Member.unscoped.filter(pk=world.deleted_a.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=365 * 31)
    )
    assert retention.anonymize_due(SYSTEM) == 1  # the residence grid goes with the rest
    assert_tallies_right()
    Member.unscoped.filter(pk=world.in_service_a.pk).delete()
    assert_tallies_right()


@pytest.mark.parametrize("role", ROLES)
def test_a_users_scope_sums_exactly_the_members_it_sees(world, role):
    MemberFactory(org=world.external, residence_grid=world.grid_b, reported_to=world.village_a)
    MemberFactory(org=world.enterprise_a, residence_grid=None)
    scope = world.users[role].scope()
    with activate(scope):
        assert tallies.member_count(scope) == Member.objects.count()
        active = {"status__in": ACTIVE_STATUSES}
        assert (
            tallies.member_count(scope, tallies.Q(**active))
            == Member.objects.filter(**active).count()
        )


def test_the_check_command_names_a_wrong_tally_and_rebuild_puts_it_right(world, capsys):
    MemberTally.objects.filter(n__gt=0).update(n=99)
    with pytest.raises(SystemExit):
        call_command("tallies", "check")
    assert "99" in capsys.readouterr().out
    call_command("tallies", "rebuild")
    call_command("tallies", "check")
    assert_tallies_right()


def _member_counts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and 'FROM "members_member"' in q["sql"]
    ]


def test_the_dashboard_tree_and_member_list_count_no_members(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.users["district_admin"])
    pages = [
        reverse("control:dashboard"),
        reverse("control:region_detail", kwargs={"pk": world.district.pk}),
        reverse("control:member_list"),
    ]
    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert _member_counts(queries.captured_queries) == [], url


def test_the_member_list_total_comes_from_the_tallies(world, client_for):
    client = client_for(world.users["district_admin"])
    page = client.get(reverse("control:member_list")).content.decode()
    with activate(world.users["district_admin"].scope()):
        on_roll = Member.objects.filter(status__in=ACTIVE_STATUSES).count()
    assert f"共 {on_roll} 条" in page


def test_the_floating_tallies_equal_the_records_after_every_kind_of_change(world, everything):
    admin = Actor(world.users["district_admin"])
    assert FloatingTally.objects.exists()  # the world's records, counted by the triggers
    assert_tallies_right()
    record = floating.register(
        admin, world.member_a,
        {"direction": "out", "place": "上海市", "since": dt.date(2026, 3, 1),
         "flow_range": "other_province", "reason": "work", "expected_months": 12},
    )  # fmt: skip
    assert_tallies_right()
    floating.confirm_inflow(admin, world.inflow_record_a, world.branch_a)
    assert_tallies_right()
    floating.join_branch(admin, world.inflow_record_a, world.branch_a2, timezone.localdate())
    assert_tallies_right()
    floating.register_return(admin, record, dt.date(2026, 9, 1))
    assert_tallies_right()
    FloatingRecord.unscoped.filter(pk=world.outflow_record_b.pk).update(grid=world.grid_a2)
    assert_tallies_right()
    FloatingRecord.unscoped.filter(pk=world.outflow_record_a.pk).update(status="returned")
    assert_tallies_right()
    copy = FloatingRecord.unscoped.get(pk=world.outflow_record_b.pk)
    copy.pk, copy.status = None, "returned"
    (bulk,) = FloatingRecord.unscoped.bulk_create([copy])  # the import's and builders' path
    assert_tallies_right()
    FloatingRecord.unscoped.filter(pk=bulk.pk).delete()  # a record without a timeline
    assert_tallies_right()


@pytest.mark.parametrize("role", ROLES)
def test_a_users_scope_sums_exactly_the_floating_records_it_sees(world, role):
    admin = Actor(world.users["district_admin"])
    floating.join_branch(admin, world.inflow_record_a, world.branch_b, timezone.localdate())
    FloatingRecord.unscoped.filter(pk=world.outflow_record_b.pk).update(
        industry_chain=world.branch_a2, grid=None
    )
    scope = world.users[role].scope()
    with activate(scope):
        kept = tallies.floating_in_scope(scope)
        assert tallies.total(kept) == FloatingRecord.objects.count()
        for status in ("active", "returned"):
            for direction in ("out", "in"):
                wanted = {"status": status, "direction": direction}
                assert (
                    tallies.total(kept.filter(**wanted))
                    == FloatingRecord.objects.filter(**wanted).count()
                ), wanted


def _floating_counts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper()
        # Counted over the records themselves (not a scope's semi-join on their ids).
        and q["sql"].split(" FROM ", 1)[1].startswith('"mobility_floatingrecord"')
        # What depends on the day (lost contact, letters due): counted through their indexes.
        and "last_contact_at" not in q["sql"]
        and '"since"' not in q["sql"]
    ]


def test_the_floating_figures_and_list_count_no_floating_records(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.users["district_admin"])
    for url in (
        reverse("control:dashboard"),
        reverse("control:floating_report"),
        reverse("control:floating_list"),
        reverse("control:floating_list") + "?direction=in",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert _floating_counts(queries.captured_queries) == [], url


def test_the_floating_list_total_comes_from_the_tallies(world, client_for):
    client = client_for(world.users["town_admin"])
    url = reverse("control:floating_list") + "?direction=out"
    with activate(world.users["town_admin"].scope()):
        active_out = FloatingRecord.objects.filter(status="active", direction="out").count()
    assert f"共 {active_out} 条" in client.get(url).content.decode()
    # Proof of where it comes from: a tally put wrong shows on the page (check would say so).
    scope = world.users["town_admin"].scope()
    kept = tallies.floating_in_scope(scope).filter(status="active", direction="out").count()
    FloatingTally.objects.filter(status="active", direction="out", n__gt=0).update(n=F("n") + 7)
    assert f"共 {active_out + 7 * kept} 条" in client.get(url).content.decode()


def test_a_grid_desks_contact_states_count_exactly_its_records_in_each(world, client_for):
    from heli.mobility import clock

    user = world.users["grid_worker"]
    FloatingRecord.unscoped.filter(pk=world.inflow_record_a.pk).update(
        last_contact_at=timezone.now() - dt.timedelta(days=100)
    )
    by_state = dict(client_for(user).get(reverse("control:dashboard")).context["by_state"])
    with activate(user.scope()):
        for state in clock.ContactState:
            assert by_state[state] == FloatingRecord.objects.filter(clock.state_q(state)).count()
