"""Reminder letters (督促报到函): who is due one, numbering, every status change allowed and
refused, reminders when the reply is late, closing by check-in or inflow confirmation, the
.docx, scoping and the audit of downloads."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from docx import Document

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.core.sealed import unseal
from heli.letters import docx, services
from heli.letters.models import (
    CloseReason,
    LetterCounter,
    LetterStatus,
    ReminderLetter,
)
from heli.mobility import floating
from heli.mobility.checkins import record_check_in
from heli.mobility.models import CheckIn, CheckInSource
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _actor(world, role: str = "grid_worker") -> Actor:
    return Actor(user=world.users[role])


def _away(world, days: int, org=None, name: str | None = None, **extra):
    """A member of branch A (or `org`) registered as gone to 杭州 `days` days ago."""
    org = org or world.branch_a
    member = MemberFactory(name=name or "外出党员", org=org, residence_grid=org.region)
    data = {
        "direction": "out", "place": "浙江省杭州市余杭区", "since": TODAY() - dt.timedelta(days),
        "flow_range": "other_province", "reason": "work", "expected_months": 12, **extra,
    }  # fmt: skip
    return floating.register(_actor(world, "branch_secretary"), member, data)


def _due_names(world, role: str = "grid_worker") -> set[str]:
    with activate(world.users[role].scope()):
        return set(services.due_records().values_list("member__name", flat=True))


def _sent(world, letter, days_ago: int = 0):
    """Send `letter` `days_ago` days ago (dated that day too)."""
    day = TODAY() - dt.timedelta(days=days_ago)
    ReminderLetter.unscoped.filter(pk=letter.pk).update(issued_on=day)
    return services.mark_sent(_actor(world), letter, day)


# --- who is due a letter -----------------------------------------------------------------


@override_settings(LETTER_DUE_AFTER_DAYS=30)
def test_a_member_away_exactly_the_due_days_is_due_and_one_day_less_is_not(world):
    due = _away(world, 30, name="满三十天")
    _away(world, 29, name="差一天")
    assert _due_names(world) == {"满三十天"}
    with pytest.raises(ValidationError):
        services.issue(_actor(world), [floating.FloatingRecord.unscoped.get(member__name="差一天")])
    assert services.issue(_actor(world), [due])[0].member.name == "满三十天"


def test_the_due_list_leaves_out_lettered_confirmed_inflow_and_returned_members(world):
    assert _due_names(world) == set()  # 王强 already has a letter; 潘永贤 flowed in
    confirmed = _away(world, 60, name="已确认")
    floating.confirm_inflow(_actor(world), confirmed, world.external)
    returned = _away(world, 60, name="已返回")
    floating.register_return(_actor(world), returned, TODAY())
    _away(world, 60, name="待发函")
    assert _due_names(world) == {"待发函"}


def test_a_cancelled_letter_puts_the_member_back_on_the_due_list(world):
    services.cancel(_actor(world), world.letter_a, "地址有误，重新发函")
    assert _due_names(world) == {"王强"}


def test_a_closed_letter_settles_the_absence_and_no_second_letter_is_due(world):
    services.close(_actor(world), world.letter_a, CloseReason.MANUAL, "本人电话告知已报到")
    assert _due_names(world) == set()
    with pytest.raises(ValidationError):
        services.issue(_actor(world), [world.outflow_record_a])


def test_each_town_sees_only_the_members_its_organizations_can_write_for(world):
    services.cancel(_actor(world, "outsider"), world.letter_b, "重新发函")
    assert _due_names(world, "outsider") == {"周杰"}
    assert _due_names(world, "grid_worker") == set()
    assert _due_names(world, "district_admin") == {"周杰"}


# --- numbering -----------------------------------------------------------------------------


def test_letters_are_numbered_per_organization_and_year_and_restart_each_year(world):
    first, second, third = (_away(world, 400, name=n) for n in ("甲", "乙", "丙"))
    other = _away(world, 400, org=world.branch_b, name="丁")
    actor = _actor(world, "district_admin")
    a1, a2 = services.issue(actor, [first, second], today=dt.date(2030, 12, 31))
    (b1,) = services.issue(actor, [other], today=dt.date(2030, 12, 31))
    (a_next_year,) = services.issue(actor, [third], today=dt.date(2031, 1, 2))
    assert [a1.number, a2.number] == [
        "崔桥村第1网格党支部督报〔2030〕1号",
        "崔桥村第1网格党支部督报〔2030〕2号",
    ]
    assert (b1.issuing_org, b1.serial, b1.number) == (
        world.branch_b,
        1,
        "剑湖村第1网格党支部督报〔2030〕1号",
    )
    assert (a_next_year.year, a_next_year.serial) == (2031, 1)
    # A cancelled letter's number is never given again.
    services.cancel(actor, a2, "写错")
    (again,) = services.issue(actor, [second], today=dt.date(2030, 12, 31))
    assert again.serial == 3


def test_serials_are_reserved_in_blocks_from_one_counter(world):
    year = 2040
    assert services.allocate_serials(world.branch_a, year, 3) == 1
    assert services.allocate_serials(world.branch_a, year, 2) == 4
    assert services.allocate_serials(world.branch_a2, year, 1) == 1
    assert LetterCounter.objects.get(org=world.branch_a, year=year).last == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_never_share_a_number(world):
    """Eight workers reserve serials at once, each in its own transaction and connection."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    barrier = Barrier(8)

    def reserve(_: int) -> int:
        try:
            barrier.wait()
            with transaction.atomic():
                return services.allocate_serials(world.branch_a2, 2050, 1)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        serials = sorted(pool.map(reserve, range(8)))
    assert serials == list(range(1, 9))


def test_the_database_refuses_a_second_letter_with_the_same_number(world):
    letter = world.letter_a
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLetter.unscoped.create(
            record=world.outflow_record_b, member=world.floating_b, issuing_org=letter.issuing_org,
            year=letter.year, serial=letter.serial, number="重号", addressee="某地",
            issued_on=TODAY(),
        )  # fmt: skip


def test_a_member_has_at_most_one_open_letter_even_when_the_check_is_bypassed(world):
    with pytest.raises(ValidationError):
        services.issue(_actor(world), [world.outflow_record_a])
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLetter.unscoped.create(
            record=world.outflow_record_a, member=world.outflow_a, issuing_org=world.branch_a,
            year=2031, serial=99, number="另一封", addressee="某地", issued_on=TODAY(),
        )  # fmt: skip


def test_the_addressee_is_the_inflow_organization_or_the_places_organizations(world):
    assert world.letter_b.addressee == "江苏省苏州市有关党组织"
    known = _away(world, 60, other_org_name="杭州市余杭区仓前街道党工委")
    (letter,) = services.issue(_actor(world), [known])
    assert letter.addressee == "杭州市余杭区仓前街道党工委"


# --- every status change, allowed and refused ------------------------------------------


def _in_state(world, state: str) -> ReminderLetter:
    letter, actor = world.letter_a, _actor(world)
    if state == "sent":
        return _sent(world, letter)
    if state == "overdue":
        return _sent(world, letter, days_ago=services.reply_days() + 1)
    if state == "closed":
        return services.close(actor, letter, CloseReason.MANUAL, "电话核实已报到")
    if state == "cancelled":
        return services.cancel(actor, letter, "误发")
    return letter


ACTIONS = {
    "send": lambda actor, letter: services.mark_sent(actor, letter, TODAY()),
    "remind": lambda actor, letter: services.remind(actor, letter),
    "close": lambda actor, letter: services.close(actor, letter, CloseReason.MANUAL, "已核实"),
    "cancel": lambda actor, letter: services.cancel(actor, letter, "误发"),
}
ALLOWED = {
    ("draft", "send"): LetterStatus.SENT,
    ("draft", "close"): LetterStatus.CLOSED,
    ("draft", "cancel"): LetterStatus.CANCELLED,
    ("sent", "close"): LetterStatus.CLOSED,
    ("sent", "cancel"): LetterStatus.CANCELLED,
    ("overdue", "remind"): LetterStatus.SENT,
    ("overdue", "close"): LetterStatus.CLOSED,
    ("overdue", "cancel"): LetterStatus.CANCELLED,
}


@pytest.mark.parametrize("state", ["draft", "sent", "overdue", "closed", "cancelled"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_status_allows_only_its_moves(world, state, action):
    letter = _in_state(world, state)
    before = (letter.status, letter.events.count())
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(ValidationError):
            ACTIONS[action](_actor(world), letter)
        letter.refresh_from_db()
        assert (letter.status, letter.events.count()) == before
    else:
        changed = ACTIONS[action](_actor(world), letter)
        assert changed.status == expected
        event = changed.events.last()
        assert (event.from_status, event.to_status, event.username) == (
            before[0],
            expected,
            "worker_a",
        )
        assert AuditEntry.unscoped.filter(object_id=str(letter.pk)).exists()


def test_closing_by_hand_needs_a_note_and_cancelling_needs_a_reason(world):
    with pytest.raises(ValidationError):
        services.close(_actor(world), world.letter_a, CloseReason.MANUAL, "  ")
    with pytest.raises(ValidationError):
        services.cancel(_actor(world), world.letter_a, "")
    assert ReminderLetter.unscoped.get(pk=world.letter_a.pk).status == LetterStatus.DRAFT


def test_a_letter_is_sent_on_a_real_date_and_a_reply_is_expected_after_the_reply_days(world):
    with pytest.raises(ValidationError):
        services.mark_sent(_actor(world), world.letter_a, TODAY() + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.mark_sent(_actor(world), world.letter_a, TODAY() - dt.timedelta(days=1))
    sent = services.mark_sent(_actor(world), world.letter_a, TODAY())
    assert sent.sent_on == TODAY()
    assert sent.expected_reply_on == TODAY() + dt.timedelta(days=services.reply_days())


# --- overdue and reminders -----------------------------------------------------------------


@override_settings(LETTER_REPLY_DAYS=30)
def test_a_letter_is_overdue_the_day_after_the_reply_date_and_a_reminder_pushes_it_on(world):
    on_time = _sent(world, world.letter_a, days_ago=30)  # reply expected today: not late
    assert not on_time.is_overdue()
    with pytest.raises(ValidationError):
        services.remind(_actor(world), on_time)
    ReminderLetter.unscoped.filter(pk=on_time.pk).update(
        expected_reply_on=TODAY() - dt.timedelta(days=1)
    )
    with activate(world.users["grid_worker"].scope()):
        overdue = list(ReminderLetter.objects.filter(services.overdue_q()))
    assert overdue == [on_time]
    reminded = services.remind(_actor(world), on_time, note="电话催办")
    assert (reminded.reminder_count, reminded.last_reminded_on) == (1, TODAY())
    assert reminded.expected_reply_on == TODAY() + dt.timedelta(days=30)
    assert not reminded.is_overdue()
    assert reminded.events.last().kind == "reminded"


def test_the_list_counts_letters_by_status_and_filters_the_overdue(world, client):
    _sent(world, world.letter_a, days_ago=services.reply_days() + 5)
    client.force_login(world.users["district_admin"])
    response = client.get(reverse("control:letter_list"))
    assert response.context["counts"]["sent"] == 1 and response.context["counts"]["draft"] == 1
    assert response.context["overdue_count"] == 1
    overdue = client.get(reverse("control:letter_list"), {"overdue": "1"}).context["page"]
    assert [letter.pk for letter in overdue.object_list] == [world.letter_a.pk]
    found = client.get(reverse("control:letter_list"), {"q": "剑湖村"}).context["page"]
    assert [letter.pk for letter in found.object_list] == [world.letter_b.pk]


# --- closing by itself ---------------------------------------------------------------------


def test_it_closes_the_letter_on_a_verified_check_in_and_a_repeat_changes_nothing(world):
    _sent(world, world.letter_a)
    staff = _actor(world)
    _check_in, created = record_check_in(
        staff, world.outflow_a, world.station_a, source=CheckInSource.STAFF
    )
    assert created
    letter = ReminderLetter.unscoped.get(pk=world.letter_a.pk)
    assert (letter.status, letter.close_reason) == (LetterStatus.CLOSED, CloseReason.CHECKED_IN)
    assert world.station_a.name in letter.close_note
    events = letter.events.count()
    _again, created = record_check_in(staff, world.outflow_a, world.station_a)
    assert not created
    letter.refresh_from_db()
    assert (letter.events.count(), letter.status) == (events, LetterStatus.CLOSED)
    assert ReminderLetter.unscoped.get(pk=world.letter_b.pk).status == LetterStatus.DRAFT


def test_it_closes_the_letter_when_the_inflow_side_confirms_the_member(world):
    _sent(world, world.letter_a)
    floating.confirm_inflow(_actor(world, "district_admin"), world.outflow_record_a, world.external)
    letter = ReminderLetter.unscoped.get(pk=world.letter_a.pk)
    assert (letter.status, letter.close_reason) == (
        LetterStatus.CLOSED,
        CloseReason.INFLOW_CONFIRMED,
    )
    assert letter.events.last().username == "district"


def test_a_failure_while_closing_undoes_the_check_in(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "close", broken)
    with pytest.raises(RuntimeError):
        record_check_in(
            Actor(user=None), world.outflow_a, world.station_a, source=CheckInSource.STAFF
        )
    assert not CheckIn.unscoped.filter(member=world.outflow_a).exists()


# --- the .docx -----------------------------------------------------------------------------


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_docx_holds_the_member_the_number_and_the_chinese_date_but_no_id_number(world):
    world.branch_a.secretary, world.branch_a.phone = "陈书记", "0519-88001234"
    world.branch_a.save()
    letter = ReminderLetter.unscoped.select_related("member", "issuing_org", "record").get(
        pk=world.letter_a.pk
    )
    data = docx.render([letter])
    text = _text(data)
    day = letter.issued_on
    assert f"{day.year}年{day.month}月{day.day}日" in text
    assert letter.number in text and "王强" in text and "上海市浦东新区有关党组织" in text
    assert "陈书记" in text and "0519-88001234" in text
    assert unseal(world.outflow_a, "id_cipher") not in text
    document = Document(io.BytesIO(data))
    assert round(document.sections[0].page_width.mm) == 210
    assert round(document.sections[0].page_height.mm) == 297
    assert 'w:eastAsia="仿宋"' in document.element.xml


@pytest.mark.parametrize(
    ("secretary", "phone", "expected"),
    [
        ("陈书记", "", "联系人：陈书记，联系电话：（未登记）"),
        ("", "", "联系电话：（未登记）"),
        ("", "0519-88001234", "联系电话：0519-88001234"),
    ],
)
def test_the_letter_always_gives_the_issuing_organizations_phone(
    world, client_for, secretary, phone, expected
):
    world.branch_a.secretary, world.branch_a.phone = secretary, phone
    world.branch_a.save()
    letter = ReminderLetter.unscoped.select_related("member", "issuing_org", "record").get(
        pk=world.letter_a.pk
    )
    assert expected in _text(docx.render([letter]))
    page = client_for(world.users["grid_worker"]).get(
        reverse("control:letter_detail", args=[letter.pk])
    )
    assert expected in page.content.decode()


def test_a_batch_docx_puts_each_letter_on_its_own_page(world):
    letters = list(ReminderLetter.unscoped.order_by("pk"))
    data = docx.render(letters)
    text = _text(data)
    assert all(letter.number in text for letter in letters)
    assert "王强" in text and "周杰" in text
    assert Document(io.BytesIO(data)).element.xml.count('w:type="page"') == len(letters) - 1


def test_dates_in_letters_are_written_the_chinese_way():
    assert docx.chinese_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert docx.chinese_date(dt.date(2026, 11, 26)) == "2026年11月26日"


# --- pages: scoping, downloads, actions ----------------------------------------------------


def test_another_towns_user_can_neither_see_nor_download_a_letter(world, client):
    client.force_login(world.users["outsider"])
    a, b = world.letter_a.pk, world.letter_b.pk
    assert client.get(reverse("control:letter_detail", args=[a])).status_code == 404
    assert client.get(reverse("control:letter_docx", args=[a])).status_code == 404
    both = reverse("control:letter_batch_docx", kwargs={"ids": f"{a},{b}"})
    assert client.get(both).status_code == 404
    listed = client.get(reverse("control:letter_list")).context["page"].object_list
    assert [letter.pk for letter in listed] == [b]
    assert not AuditEntry.unscoped.filter(action="letter.download").exists()


def test_every_download_is_audited(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.get(reverse("control:letter_docx", args=[world.letter_a.pk]))
    assert response.status_code == 200 and response["Content-Type"].endswith("document")
    assert "attachment" in response["Content-Disposition"]
    entries = AuditEntry.unscoped.filter(action="letter.download")
    assert list(entries.values_list("object_id", "username")) == [
        (str(world.letter_a.pk), "worker_a")
    ]
    client.force_login(world.users["district_admin"])
    batch = f"{world.letter_a.pk},{world.letter_b.pk}"
    response = client.get(reverse("control:letter_batch_docx", kwargs={"ids": batch}))
    assert response.status_code == 200 and "周杰" in _text(response.content)
    # A batch is one entry naming every letter in it.
    (entry,) = entries.filter(username="district")
    named = sorted(letter["id"] for letter in entry.detail["letters"])
    assert named == sorted([world.letter_a.pk, world.letter_b.pk])


def test_a_worker_issues_letters_from_the_due_list_and_marks_one_sent(world, client):
    first, second = _away(world, 45, name="钱一"), _away(world, 50, name="孙二")
    client.force_login(world.users["grid_worker"])
    assert {r.member.name for r in client.get(reverse("control:letter_due")).context["page"]} == {
        "钱一",
        "孙二",
    }
    response = client.post(reverse("control:letter_issue"), {"pick": [first.pk, second.pk]})
    letters = list(ReminderLetter.unscoped.filter(record__in=[first, second]).order_by("serial"))
    assert [letter.member.name for letter in letters] == ["孙二", "钱一"]  # the longest away first
    assert response["Location"].endswith(f"?ids={letters[0].pk},{letters[1].pk}")
    send = reverse("control:letter_send", args=[letters[0].pk])
    client.post(send, {"sent_on": TODAY().isoformat()})
    assert ReminderLetter.unscoped.get(pk=letters[0].pk).status == LetterStatus.SENT


def test_issuing_for_another_towns_member_answers_404_and_issues_nothing(world, client):
    services.cancel(_actor(world, "outsider"), world.letter_b, "重新发函")
    client.force_login(world.users["grid_worker"])
    response = client.post(reverse("control:letter_issue"), {"pick": [world.outflow_record_b.pk]})
    assert response.status_code == 404
    assert not ReminderLetter.unscoped.filter(
        record=world.outflow_record_b, status=LetterStatus.DRAFT
    ).exists()


def test_a_refused_action_comes_back_as_a_message_on_the_letter(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:letter_remind", args=[world.letter_a.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "control:letter_detail", args=[world.letter_a.pk]
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert ReminderLetter.unscoped.get(pk=world.letter_a.pk).reminder_count == 0


def test_ticked_letters_on_the_list_download_as_one_word_file_or_a_zip(world, client):
    client.force_login(world.users["district_admin"])
    a, b = world.letter_a.pk, world.letter_b.pk
    url = reverse("control:letter_batch_download")
    word = client.post(url, {"pick": [b, a], "format": "docx"})
    assert word["Content-Type"].endswith("document")
    assert "王强" in _text(word.content) and "周杰" in _text(word.content)
    packed = client.post(url, {"pick": [b, a], "format": "zip"})
    assert packed["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed.content)) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(f"{x.number}.docx" for x in (world.letter_a, world.letter_b))
        assert "王强" in _text(archive.read(f"{world.letter_a.number}.docx"))


@pytest.mark.django_db
def test_a_return_registration_settles_the_open_letter(world):
    actor, letter = Actor(user=world.users["grid_worker"]), world.letter_a
    floating.register_return(actor, world.outflow_record_a, timezone.localdate())
    letter.refresh_from_db()
    assert (letter.status, letter.close_reason) == ("closed", "returned")


@pytest.mark.django_db
def test_a_check_in_of_a_member_without_an_outflow_record_costs_no_letter_query(
    world, django_assert_num_queries
):
    actor = Actor(user=None)
    # Insert, audit (the chain's link, on PostgreSQL after its lock), clock update and the
    # savepoint pair; the letters are not read.
    with django_assert_num_queries(6 if connection.vendor == "sqlite" else 7):
        record_check_in(actor, world.inflow_a, world.station_a)
