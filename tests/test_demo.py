"""The demo zone reproduces the article's figures from its records. Built once per module
(committed), each test then runs in its own rolled-back transaction."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.demo.zone import DEMO_PASSWORD, build_zone, clear_zone
from heli.members import services
from heli.members.choices import FloatingDirection, MemberStatus
from heli.members.models import Member
from heli.mobility.checkins import Identity, record_check_in, register_unknown
from heli.orgs.models import OrgCategory, PartyOrg, Region, RegionKind
from heli.reports import structure as stats
from heli.stations.models import Station, StationKind
from tests.conftest import FAST_HASHERS

SEED = 2024


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=FAST_HASHERS)
    with django_db_blocker.unblock(), activate(Scope.everything()), fast:
        build_zone(seed=SEED)
    yield
    with django_db_blocker.unblock(), activate(Scope.everything()):
        clear_zone()


@pytest.fixture(autouse=True)
def _in_the_demo(settings):
    settings.HELI_DEMO = True  # what `make demo` sets (heli demo refuses to run otherwise)
    settings.HELI_2FA_REQUIRED = False  # its default when HELI_DEMO=1


def _login(client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username


def _fingerprint():
    with activate(Scope.everything()):
        return (
            list(Region.objects.values_list("path", "name")),
            list(PartyOrg.objects.values_list("path", "name", "secretary")),
            list(
                Station.objects.order_by("name", "address").values_list(
                    "name", "address", "grid__path"
                )
            ),
            # The digest is unique, so the order is total on every database.
            list(
                Member.unscoped.order_by("id_digest").values_list("id_digest", "name", "org__path")
            ),
        )


def test_the_demo_zone_has_the_articles_places(demo, db):
    with activate(Scope.everything()):
        towns = Region.objects.filter(kind__in=[RegionKind.TOWN, RegionKind.STREET])
        assert sorted(towns.values_list("name", flat=True)) == sorted(
            ["戚墅堰街道", "丁堰街道", "潞城街道", "遥观镇", "横林镇", "横山桥镇"]
        )
        assert Region.objects.filter(kind=RegionKind.GRID).count() == 337
        assert Region.objects.filter(name="东方社区", parent__name="戚墅堰街道").exists()
        by_kind = dict(stats.station_counts())
        assert by_kind[StationKind.GRID_STATION.label] == 337
        assert by_kind[StationKind.RED_POST.label] == 20
        assert by_kind[StationKind.SERVICE_POINT.label] == 10
        assert by_kind[StationKind.RED_MAGNET_HOME.label] == 30
        assert by_kind[StationKind.SERVICE_CENTRE.label] == 1
        assert Station.objects.get(kind=StationKind.SERVICE_CENTRE).name == "红石榴党群服务中心"
        assert PartyOrg.objects.filter(category=OrgCategory.RED_MAGNET).count() == 8
        assert PartyOrg.objects.filter(category=OrgCategory.SCHOOL).count() == 3
        chain = PartyOrg.objects.get(name="绿色家居产业链党委")
        assert chain.category == OrgCategory.INDUSTRY_CHAIN and chain.region.name == "横林镇"
        assert chain.children.get().category == OrgCategory.FLOATING
        assert not stats.grids_missing_branch_or_station().exists()
        for grid in Region.objects.filter(kind=RegionKind.GRID)[:50]:
            assert grid.party_orgs.filter(level="branch").count() == 1
            assert grid.stations.filter(kind=StationKind.GRID_STATION).count() == 1
            assert grid.boundary["type"] == "Polygon"


def test_the_demo_members_give_581_floating_and_3_4_percent(demo, db):
    with activate(Scope.everything()):
        active = Member.objects.filter(status__in=[MemberStatus.NORMAL, MemberStatus.FLOATING])
        floating = active.filter(status=MemberStatus.FLOATING)
        assert active.count() == 17_100
        assert floating.filter(floating_direction=FloatingDirection.OUT).count() == 149
        assert floating.filter(floating_direction=FloatingDirection.IN).count() == 432
        assert floating.count() == 581
        assert round(floating.count() / active.count() * 100, 1) == 3.4
        assert Member.objects.filter(occupation="rider").exists()
        assert Member.objects.filter(industry_chain__name="绿色家居产业链党委").count() > 100
        assert Member.objects.filter(reported_to__isnull=False).count() > 500
        assert Member.objects.get(name="潘永贤").ethnicity == "水族"


def test_every_demo_member_passes_the_plausibility_rules(demo, db):
    """The demo's members are what the member form and the import would accept."""
    refused = []
    with activate(Scope.everything()):
        for member in Member.unscoped.iterator(chunk_size=2000):
            try:
                services.check_consistency(member, unseal(member, "id_cipher"))
            except ValidationError as exc:
                refused.append((member.name, exc.message_dict))
    assert refused == []


def test_the_dashboard_shows_581_floating_members_and_3_4_percent(demo, db, client):
    _login(client, "district")
    response = client.get(reverse("control:dashboard"))
    assert response.context["levels"]["grids"] == 337
    assert response.context["floating"].floating == 581
    assert response.context["floating_percent"] == 3.4
    html = response.content.decode()
    assert "581" in html and "3.4%" in html
    assert sum(t["grids"] for t in response.context["chart"]["children"]) == 337


def test_each_demo_role_logs_in_and_a_town_admin_sees_only_the_town(demo, db, client):
    for username in ("district", "town", "secretary", "grid", "service", "liaison", "auditor"):
        _login(client, username)
        assert client.get(reverse("control:dashboard")).status_code == 200
        client.post(reverse("logout"))
    # 三权分立: one account of each administrator, each sent from the desk to its own page.
    pages = {"sysadmin": "control:account_list", "secadmin": "control:account_list",
             "auditadmin": "control:audit_log"}  # fmt: skip
    for username, page in pages.items():
        _login(client, username)
        desk = client.get(reverse("control:dashboard"))
        assert desk.status_code == 302 and desk["Location"] == reverse(page), username
        assert client.get(reverse(page)).status_code == 200, username
        client.post(reverse("logout"))
    _login(client, "town")
    levels = client.get(reverse("control:dashboard")).context["levels"]
    with activate(Scope.everything()):
        town = Region.objects.get(name="横林镇")
        grids = Region.objects.filter(kind=RegionKind.GRID, path__startswith=town.path).count()
    assert levels["towns"] == 1 and levels["grids"] == grids < 337


def test_the_same_seed_builds_the_same_zone_even_after_use(demo, db):
    first = _fingerprint()
    with activate(Scope.everything()):
        member = Member.objects.get(name="潘永贤")
        station = Station.objects.filter(grid=member.residence_grid).first()
    record_check_in(Actor(user=None), member, station)
    register_unknown(Actor(user=None), Identity("某人", phone="13800000000"), station)
    call_command("demo", "--reset", "--seed", str(SEED))
    assert _fingerprint() == first


def test_the_demos_history_is_chained_and_sealed_even_after_a_reset(demo, db):
    """Its history rows are inserted in bulk (sealed one by one) and wiped by the reset."""
    for _build in range(2):
        out = io.StringIO()
        call_command("audit", "verify", stdout=out, stderr=io.StringIO())
        assert "all intact" in out.getvalue() and " 0 members_memberchange" not in out.getvalue()
        call_command("demo", "--reset", "--seed", str(SEED))


def test_the_demo_command_refuses_to_overwrite_a_zone(demo, db):
    with pytest.raises(CommandError):
        call_command("demo")
    call_command("demo", "--if-empty")  # leaves the zone as it is


def test_the_printed_logins_say_how_the_demo_handles_two_step_verification(
    demo, db, client, settings
):
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "HELI_2FA_REQUIRED=0" in out.getvalue() and "两步验证" in out.getvalue()
    _login(client, "town")  # works at once: no code asked
    assert client.get(reverse("control:dashboard")).status_code == 200
    settings.HELI_2FA_REQUIRED = True
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "HELI_2FA_REQUIRED=1" in out.getvalue()


def test_the_demo_sent_149_reminder_letters_one_to_each_outflow_member(demo, db, client):
    from heli.letters.models import LetterStatus, ReminderLetter
    from heli.letters.services import overdue_q

    with activate(Scope.everything()):
        letters = ReminderLetter.objects.all()
        assert letters.filter(sent_on__isnull=False).count() == 149
        outflow = Member.objects.filter(floating_direction=FloatingDirection.OUT)
        assert set(letters.values_list("member", flat=True)) == set(
            outflow.values_list("pk", flat=True)
        )
        assert letters.filter(status=LetterStatus.CLOSED).exists()
        assert letters.filter(overdue_q()).exists()
    _login(client, "district")
    counts = client.get(reverse("control:letter_list")).context["counts"]
    assert counts[LetterStatus.SENT] + counts[LetterStatus.CLOSED] == 149


def test_the_demo_reproduces_the_articles_floating_work_figures(demo, db):
    from heli.reports.floating import figures

    with activate(Scope.everything()):
        result = figures()
    assert (result.floating, result.share_percent) == (581, 3.4)
    assert (result.outflow, result.inflow) == (149, 432)
    assert result.check_in_points == 337  # every grid's station has had check-ins
    assert result.letters_sent == 149  # each outflow member was sent a reminder letter
    assert result.joined == 432  # each inflow member joined a nearby branch
    with activate(Scope.everything()):
        red_magnet = PartyOrg.objects.filter(category=OrgCategory.RED_MAGNET).count()
    assert red_magnet == 8


def test_some_demo_members_are_due_a_letter_and_the_articles_figures_still_hold(demo, db, client):
    """They were sent their letter during an earlier time away, settled by their return, and
    have left again since: 149 outflow members, 149 letters, one to each, 581 floating."""
    from heli.letters.models import CloseReason, LetterStatus, ReminderLetter
    from heli.letters.services import due_records
    from heli.mobility.models import RecordStatus
    from heli.reports.floating import figures

    with activate(Scope.everything()):
        due = list(due_records())
        assert len(due) == 6
        for record in due:
            assert not record.letters.exists()
            earlier = record.member.floating.exclude(pk=record.pk).get()
            assert earlier.status == RecordStatus.RETURNED and earlier.ended_on < record.since
            letter = earlier.letters.get()
            assert (letter.status, letter.close_reason) == (
                LetterStatus.CLOSED,
                CloseReason.RETURNED,
            )
        result = figures()
        outflow = Member.objects.filter(floating_direction=FloatingDirection.OUT)
        lettered = ReminderLetter.objects.values_list("member", flat=True)
        assert set(lettered) == set(outflow.values_list("pk", flat=True))
    assert (result.floating, result.outflow, result.inflow) == (581, 149, 432)
    assert (result.letters_sent, result.joined) == (149, 432)

    _login(client, "town")  # 横林镇: two of them, ready to be written to
    response = client.get(reverse("control:letter_due"))
    assert response.context["page"].paginator.count == 2


def test_the_demo_accounts_are_not_forced_to_change_their_shared_password(demo, db, client):
    _login(client, "grid")
    assert client.get(reverse("control:dashboard")).status_code == 200


def test_the_demos_check_ins_are_mostly_confirmed_and_self_reports_wait_on_desks(demo, db, client):
    from heli.letters.models import LetterStatus, ReminderLetter
    from heli.mobility.models import CheckIn, CheckInStatus

    with activate(Scope.everything()):
        statuses = [c.status for c in CheckIn.objects.all()]
        waiting = CheckIn.objects.filter(status=CheckInStatus.SELF_REPORTED)
        outflow = waiting.filter(member__floating_direction=FloatingDirection.OUT)
        assert outflow.count() == 2
        letters = ReminderLetter.objects.filter(member__in=[c.member for c in outflow])
        assert set(letters.values_list("status", flat=True)) == {LetterStatus.SENT}
    assert statuses.count(CheckInStatus.VERIFIED) > 0.8 * len(statuses)
    assert CheckInStatus.SELF_REPORTED in statuses
    _login(client, "town")
    todos = {item.key: item for item in client.get(reverse("control:dashboard")).context["todos"]}
    assert todos["self_reported"].count >= 2
    client.post(reverse("logout"))
    _login(client, "grid")
    todos = {item.key: item for item in client.get(reverse("control:dashboard")).context["todos"]}
    assert todos["self_reported"].count >= 1
