"""The daily notices: lost contact (and the warning and six-month states) and the letters'
reminders (overdue replies, members due a letter) reach the staff of the organization
responsible once per record per state change, however many runs or workers; another town's
staff never see them; marking them read clears the desk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from heli.audit.models import AuditEntry
from heli.audit.services import Actor
from heli.core.scoping import activate
from heli.letters import reminders, services
from heli.letters.models import ReminderLetter
from heli.mobility import floating, notices
from heli.mobility.models import FloatingRecord, Notice, NoticeKind
from tests.factories import MemberFactory
from tests.taskqueue import run_queued
from tests.test_tasks import race

TODAY = timezone.localdate
THRESHOLDS = {
    "FLOATING_WARNING_DAYS": 60,
    "FLOATING_LOST_DAYS": 90,
    "FLOATING_LAPSE_FLAG_DAYS": 150,
}


def _away(world, days: int, name: str, org=None, direction: str = "out", **extra):
    """A member registered as floating since `days` days ago, never heard from."""
    org = org or world.branch_a
    member = MemberFactory(name=name, org=org, residence_grid=world.grid_a)
    data = {
        "direction": direction, "place": "浙江省杭州市", "since": TODAY() - dt.timedelta(days),
        "flow_range": "other_province", "reason": "work", "expected_months": 12, **extra,
    }  # fmt: skip
    return floating.register(Actor(user=world.users["branch_secretary"]), member, data)


def _of(record: FloatingRecord) -> list[tuple[str, str]]:
    return list(Notice.unscoped.filter(record=record).values_list("kind", "org__name"))


@override_settings(**THRESHOLDS)
def test_a_member_who_crossed_into_lost_contact_since_the_last_run_is_noticed_once(world):
    crossed = _away(world, 91, "昨天失联")
    long_lost = _away(world, 130, "早已失联")
    counts = notices.contact_notices()
    assert counts[NoticeKind.CONTACT_LOST] == 1
    assert _of(crossed) == [(NoticeKind.CONTACT_LOST, world.branch_a.name)]
    assert _of(long_lost) == [], "lost before the first run's week: on the lost list, no notice"
    assert notices.contact_notices()[NoticeKind.CONTACT_LOST] == 0, "the same day again: none"
    assert Notice.unscoped.filter(record=crossed).count() == 1


@override_settings(**THRESHOLDS)
def test_each_run_looks_from_the_day_the_previous_one_looked_through(world):
    record = _away(world, 80, "将失联")
    notices.contact_notices(today=TODAY())
    assert _of(record) == [], "a warning crossed weeks ago: before the first run's week"
    later = TODAY() + dt.timedelta(days=12)  # the worker stopped for twelve days
    notices.contact_notices(today=later)
    assert _of(record) == [(NoticeKind.CONTACT_LOST, world.branch_a.name)]
    run = AuditEntry.unscoped.filter(action=notices.CONTACT_RUN).order_by("-id").first()
    assert run.detail["since"] == TODAY().isoformat() and run.detail["through"] == later.isoformat()


@override_settings(**THRESHOLDS)
def test_a_warning_and_later_lost_contact_are_two_notices_and_a_new_silence_a_new_one(world):
    record = _away(world, 61, "渐远")
    notices.contact_notices()
    assert _of(record) == [(NoticeKind.CONTACT_WARNING, world.branch_a.name)]
    notices.contact_notices(today=TODAY() + dt.timedelta(days=30))
    assert {kind for kind, _org in _of(record)} == {
        NoticeKind.CONTACT_WARNING,
        NoticeKind.CONTACT_LOST,
    }
    contact = timezone.now() + dt.timedelta(days=31)  # heard from the day after
    FloatingRecord.unscoped.filter(pk=record.pk).update(last_contact_at=contact)
    notices.contact_notices(today=TODAY() + dt.timedelta(days=92))
    warnings = Notice.unscoped.filter(record=record, kind=NoticeKind.CONTACT_WARNING)
    assert warnings.count() == 2, "silent again after a contact: a new warning, counted anew"


@override_settings(**THRESHOLDS)
def test_an_inflow_members_notice_goes_to_the_branch_of_the_grid_where_they_live(world):
    record = _away(world, 91, "流入失联", org=world.external, direction="in")
    notices.contact_notices()
    assert _of(record) == [(NoticeKind.CONTACT_LOST, world.branch_a.name)]


@override_settings(**THRESHOLDS)
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_days_notices_at_once_notice_each_member_once(world):
    record = _away(world, 91, "同时")
    race(2, lambda n: notices.contact_notices())
    assert Notice.unscoped.filter(record=record).count() == 1


@override_settings(**THRESHOLDS)
def test_the_worker_runs_the_days_notices_once_however_often_it_is_started(world):
    _away(world, 91, "每日一次")
    first = run_queued()
    assert "contact notices: skipped 0, contact_warning 0, contact_lost 1" in first
    assert "letter notices" in first
    assert "contact notices" not in run_queued(), "once per day (ScheduledRun)"
    assert AuditEntry.unscoped.filter(action=notices.CONTACT_RUN).count() == 1


def test_another_towns_staff_see_neither_the_notice_nor_its_count(world, client):
    client.force_login(world.users["town_admin"])
    page = client.get(reverse("control:notice_list")).content.decode()
    assert "王强" in page and world.outflow_record_b.member.name not in page
    client.force_login(world.users["outsider"])
    page = client.get(reverse("control:notice_list")).content.decode()
    assert "王强" not in page and world.outflow_record_b.member.name in page
    with activate(world.users["outsider"].scope()):
        assert notices.unread() == 1


def test_the_desk_shows_the_unread_notices_until_they_are_marked_read(world, client):
    client.force_login(world.users["grid_worker"])
    desk = client.get(reverse("control:dashboard")).content.decode()
    assert reverse("control:notice_list") in desk
    answer = client.post(reverse("control:notice_batch_read"), {"pick": [world.notice_a.pk]})
    assert answer.status_code == 302
    read = Notice.unscoped.get(pk=world.notice_a.pk)
    assert read.read_at is not None and read.read_by == world.users["grid_worker"]
    assert AuditEntry.unscoped.filter(action="notice.read").count() == 1
    desk = client.get(reverse("control:dashboard")).content.decode()
    assert reverse("control:notice_list") not in desk
    page = client.get(reverse("control:notice_list") + "?read=read").content.decode()
    assert "王强" in page


def test_marking_another_towns_notice_read_answers_404_and_changes_nothing(world, client):
    client.force_login(world.users["town_admin"])
    answer = client.post(reverse("control:notice_batch_read"), {"pick": [world.notice_b.pk]})
    assert answer.status_code == 404
    assert Notice.unscoped.get(pk=world.notice_b.pk).read_at is None


# --- the letters' reminders ----------------------------------------------------------------


def _overdue(world, letter: ReminderLetter, late_by: int = 1) -> ReminderLetter:
    services.mark_sent(Actor(user=world.users["grid_worker"]), letter, TODAY())
    ReminderLetter.unscoped.filter(pk=letter.pk).update(
        expected_reply_on=TODAY() - dt.timedelta(days=late_by)
    )
    return ReminderLetter.unscoped.get(pk=letter.pk)


def test_a_letter_whose_reply_became_overdue_is_noticed_to_its_issuing_organization(world):
    letter = _overdue(world, world.letter_a)
    counts = reminders.letter_notices()
    assert counts[NoticeKind.LETTER_OVERDUE] == 1
    notice = Notice.unscoped.get(kind=NoticeKind.LETTER_OVERDUE)
    assert (notice.org, notice.letter_id, notice.letter_number) == (
        world.branch_a,
        letter.pk,
        letter.number,
    )
    assert reminders.letter_notices()[NoticeKind.LETTER_OVERDUE] == 0, "the same day: none"


def test_a_recorded_reminder_whose_new_date_passes_too_brings_a_second_notice(world):
    letter = _overdue(world, world.letter_a)
    reminders.letter_notices()
    services.remind(Actor(user=world.users["grid_worker"]), letter)
    later = TODAY() + dt.timedelta(days=services.reply_days() + 1)
    reminders.letter_notices(today=later)
    days = Notice.unscoped.filter(kind=NoticeKind.LETTER_OVERDUE).values_list("day", flat=True)
    assert len(days) == 2 and len(set(days)) == 2


@override_settings(LETTER_DUE_AFTER_DAYS=30)
def test_a_member_who_became_due_a_letter_is_noticed_to_the_outflow_organization(world):
    due = _away(world, 31, "刚满期")
    not_yet = _away(world, 20, "未满期")
    reminders.letter_notices()
    assert _of(due) == [(NoticeKind.LETTER_DUE, world.branch_a.name)]
    assert _of(not_yet) == []
    assert AuditEntry.unscoped.filter(action=reminders.LETTER_RUN).count() == 1


def test_the_daily_run_removes_notices_read_a_year_ago_and_keeps_unread_ones(world):
    long_ago = timezone.now() - notices.KEEP_READ - dt.timedelta(days=1)
    Notice.unscoped.filter(pk=world.notice_a.pk).update(read_at=long_ago)
    Notice.unscoped.filter(pk=world.notice_b.pk).update(created_at=long_ago)
    assert notices.contact_notices()["pruned"] == 1
    assert list(Notice.unscoped.values_list("pk", flat=True)) == [world.notice_b.pk]
