"""Steps the browser tests share: logging in through the form, choosing in a picker, reading
QR codes."""

from __future__ import annotations

import io

from django.urls import reverse

from heli.demo.zone import DEMO_PASSWORD
from tests.factories import enrolled_device, totp_code

TIMEOUT_MS = 15_000  # as the browser contexts' own (conftest): the machine may be busy


def login(page, username: str, password: str = DEMO_PASSWORD, *, second_step: bool = True):
    """Log in through the real login form, as a person would; the response to the form.

    With `second_step` (the default), an account that must use two-step verification
    (heli.accounts.twofactor) has an authenticator (a device made here when it has none), and
    its code is typed on the code page that follows the password; the response is then the
    code form's."""
    if second_step:
        _authenticator_of(username)
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("form button[type=submit]").click()
    if second_step and page.url.split("?")[0].endswith(reverse("login_code")):
        return type_code(page, totp_code(_authenticator_of(username)))
    return navigation.value


def _authenticator_of(username: str):
    """The confirmed device of an account that must verify (one is made when it has none)."""
    from heli.accounts import twofactor
    from heli.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is not None and twofactor.must_verify(user):
        return enrolled_device(user)
    return None


def type_code(page, code: str):
    """Type a code on the two-step verification page; the response to it."""
    page.locator("#id_code").fill(code)
    with page.expect_navigation() as navigation:
        page.get_by_test_id("code-submit").click()
    return navigation.value


def pick(page, field_id: str, typed: str, choice: str | None = None) -> str:
    """Choose in a picker (Tom Select) as a person would: type `typed`, then click the
    suggestion whose label starts with `choice` (or with `typed`). The chosen id."""
    from playwright.sync_api import expect

    page.locator(f"#{field_id}-ts-control").locator("xpath=..").click()  # the box (.ts-control)
    page.keyboard.type(typed)
    suggestions = page.locator(f"#{field_id}-ts-dropdown [data-selectable]")
    option = suggestions.filter(has_text=choice or typed).first
    expect(option).to_contain_text(choice or typed, timeout=TIMEOUT_MS)
    value = option.get_attribute("data-value")
    option.click()
    expect(page.locator(f"select#{field_id}")).to_have_value(value, timeout=TIMEOUT_MS)
    return value


def decode_qr(image) -> list[str]:
    """The texts of the QR codes in an image (PNG bytes or a PIL image)."""
    from PIL import Image
    from pyzbar.pyzbar import ZBarSymbol, decode

    if isinstance(image, bytes | bytearray):
        image = Image.open(io.BytesIO(image))
    return [symbol.data.decode() for symbol in decode(image, symbols=[ZBarSymbol.QRCODE])]


def confirm_in_modal(page, control) -> None:
    """Press a control whose action asks first (a form with data-confirm), answer the page's
    confirmation modal with Confirm, and wait for the page the action leads to."""
    control.click()
    modal = page.get_by_test_id("confirm-modal")
    modal.wait_for(state="visible")
    with page.expect_navigation():
        modal.get_by_test_id("confirm-ok").click()
