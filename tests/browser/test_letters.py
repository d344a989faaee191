"""A grid worker issues a reminder letter, downloads it, sends it; the member checks in on a
phone (self-reported: the letter stays open), the grid worker confirms the check-in from the
desk and the letter closes by itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from docx import Document

from heli.audit.services import Actor
from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.letters.models import CloseReason, LetterStatus, ReminderLetter
from heli.members.models import Member
from heli.mobility import floating
from heli.mobility.models import CheckIn
from heli.stations.models import Station
from tests.browser.helpers import confirm_in_modal, login

DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _member_gone_40_days_ago():
    """The demo has lettered every outflow member: one more member of the grid worker's
    branch leaves, 40 days ago, so that a letter is due."""
    from heli.accounts.models import User

    with activate(Scope.everything()):
        branch = User.objects.get(username="grid").org
        member = Member.objects.filter(org=branch, status="normal").order_by("pk").first()
        record = floating.register(
            Actor.system("test"),
            member,
            {
                "direction": "out", "place": "浙江省宁波市鄞州区",
                "since": timezone.localdate() - dt.timedelta(days=40),
                "flow_range": "other_province", "reason": "work", "expected_months": 12,
            },
        )  # fmt: skip
        station = Station.objects.filter(grid=member.residence_grid).first()
        return member, record, station, unseal(member, "id_cipher")


@pytest.mark.browser
def test_a_letter_is_issued_downloaded_sent_and_closed_by_a_check_in(zone, new_context):
    member, record, station, id_number = _member_gone_40_days_ago()
    page = new_context(**DESKTOP).new_page()
    login(page, "grid")

    page.goto("/letters/due/")
    page.get_by_test_id("list-search").fill(member.name)
    with page.expect_navigation():
        page.get_by_test_id("list-submit").click()
    page.locator(f"input[name=pick][value='{record.pk}']").check()
    page.get_by_test_id("batch-letter_issue").click()
    modal = page.get_by_test_id("batch-modal")
    assert "1" in modal.locator("[data-batch-message]").inner_text()  # says how many
    with page.expect_navigation():
        modal.get_by_test_id("batch-confirm").click()
    number = page.get_by_test_id("letter-number").inner_text().strip()
    assert number.endswith("号") and "督报〔" in number

    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    document = Document(download.value.path())
    text = "\n".join(p.text for p in document.paragraphs)
    today = timezone.localdate()
    assert member.name in text and number in text
    assert f"{today.year}年{today.month}月{today.day}日" in text
    assert id_number not in text

    confirm_in_modal(page, page.get_by_test_id("mark-sent"))
    assert page.get_by_test_id("sent-on").inner_text().strip() == today.isoformat()

    phone = new_context(**PHONE).new_page()
    phone.goto(f"/s/{station.token}/")
    phone.get_by_label("姓名").fill(member.name)
    phone.get_by_label("公民身份号码或手机号码").fill(id_number)
    phone.get_by_test_id("check-in").click()
    phone.get_by_test_id("check-in-done").wait_for()

    page.reload()  # a self-report settles nothing: the letter waits
    assert page.get_by_test_id("letter-actions").count() == 1
    letter_url = page.url
    page.goto("/")
    with page.expect_navigation():
        page.get_by_test_id("todo-self_reported").click()
    check_in = CheckIn.unscoped.get(member=member, station=station, day=timezone.localdate())
    page.locator(f"input[name=pick][value='{check_in.pk}']").check()
    page.get_by_test_id("batch-check_in_batch_confirm").click()
    modal = page.get_by_test_id("batch-modal").filter(has_text="自报")
    with page.expect_navigation():
        modal.get_by_test_id("batch-confirm").click()

    page.goto(letter_url)
    assert station.name in page.get_by_test_id("closed").inner_text()
    assert page.get_by_test_id("letter-actions").count() == 0
    letter = ReminderLetter.unscoped.get(record=record)
    assert (letter.number, letter.status, letter.close_reason) == (
        number,
        LetterStatus.CLOSED,
        CloseReason.CHECKED_IN,
    )
