"""Two-step verification of a town administrator (issue #10, part 11): sent to enrolment after
the password, the code computed from the secret the page shows (as an authenticator app does),
recovery codes shown and downloaded, then a login with password and code lands on the desk."""

from __future__ import annotations

import time
from base64 import b32decode
from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.oath import hotp
from playwright.sync_api import expect

from heli.audit.models import AuditEntry
from tests.browser.helpers import decode_qr, login, type_code

pytestmark = pytest.mark.browser


def _code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this secret (RFC 6238: 30-second steps, 6 digits);
    `steps_ahead` 1 is the next code, which heli accepts one step early."""
    key = b32decode(secret.replace(" ", ""))
    return f"{hotp(key, int(time.time()) // 30 + steps_ahead, digits=6):06d}"


def test_a_town_admin_enrols_an_authenticator_and_logs_in_with_password_and_code(
    page, zone, live_server
):
    login(page, "town", second_step=False)
    assert urlparse(page.url).path == "/two-factor/enrol/"  # before any other page
    page.goto("/members/")
    assert urlparse(page.url).path == "/two-factor/enrol/"
    expect(page.locator("#sidenav a")).to_have_count(0)  # no menu, no counts before the code

    # The QR code is drawn by heli and holds the same secret as the text beside it.
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    [uri] = decode_qr(page.get_by_test_id("otp-qr").screenshot())
    assert uri.startswith("otpauth://totp/")
    assert parse_qs(urlparse(uri).query)["secret"] == [secret.replace(" ", "")]

    page.locator("#id_code").fill("000000" if _code(secret) != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_test_id("confirm-enrol").click()
    expect(page.get_by_test_id("code-error")).to_be_visible()
    page.wait_for_timeout(1100)  # a wrong code holds the next back for a second

    page.locator("#id_code").fill(_code(secret))
    with page.expect_navigation():
        page.get_by_test_id("confirm-enrol").click()
    codes = page.get_by_test_id("recovery-code")
    expect(codes).to_have_count(10)
    shown = codes.all_inner_texts()
    with page.expect_download() as download:
        page.get_by_test_id("download-codes").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert all(code in text for code in shown)
    with page.expect_navigation():
        page.get_by_test_id("codes-kept").click()
    assert page.url == live_server.url + "/"
    expect(page.get_by_test_id("desk-place")).to_be_visible()

    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    login(page, "town", second_step=False)
    assert urlparse(page.url).path == "/login/code/"
    type_code(page, _code(secret, steps_ahead=1))  # the enrolment used this step's code
    assert page.url == live_server.url + "/"
    expect(page.get_by_test_id("desk-place")).to_be_visible()

    actions = AuditEntry.unscoped.filter(username="town", action__startswith="account.otp")
    assert list(actions.order_by("pk").values_list("action", flat=True)) == [
        "account.otp_failed",
        "account.otp_enrol",
        "account.otp_verify",
    ]
