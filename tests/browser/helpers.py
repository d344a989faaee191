"""Steps the browser tests share: logging in through the form, choosing in a picker, reading
QR codes."""

from __future__ import annotations

import io

from heli.demo.zone import DEMO_PASSWORD

TIMEOUT_MS = 15_000  # as the browser contexts' own (conftest): the machine may be busy


def login(page, username: str, password: str = DEMO_PASSWORD):
    """Log in through the real login form, as a person would; the response to the form."""
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("form button[type=submit]").click()
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
