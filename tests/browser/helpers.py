"""Steps the browser tests share: logging in through the form, reading QR codes."""

from __future__ import annotations

import io

from heli.demo.zone import DEMO_PASSWORD


def login(page, username: str, password: str = DEMO_PASSWORD):
    """Log in through the real login form, as a person would; the response to the form."""
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("form button[type=submit]").click()
    return navigation.value


def decode_qr(image) -> list[str]:
    """The texts of the QR codes in an image (PNG bytes or a PIL image)."""
    from PIL import Image
    from pyzbar.pyzbar import ZBarSymbol, decode

    if isinstance(image, bytes | bytearray):
        image = Image.open(io.BytesIO(image))
    return [symbol.data.decode() for symbol in decode(image, symbols=[ZBarSymbol.QRCODE])]
