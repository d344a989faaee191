"""The printable A4 QR poster of a station (SVG and PDF).

The QR code holds the absolute address of the station's public page `/s/<token>/`. The base
address is HELI_PUBLIC_BASE_URL when set (what phones on the intranet reach), otherwise the
address the poster was requested from.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from heli.stations.models import Station

PARTY_RED = "#c8161d"
GOLD = "#f5c242"
CJK_FONT = "STSong-Light"  # a PDF standard CJK font: readers supply the glyphs, nothing to embed


def public_url(station: Station, request: HttpRequest | None = None) -> str:
    path = reverse("public:station", kwargs={"token": station.token})
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, scale: int = 8) -> str:
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def poster_lines(station: Station) -> list[str]:
    lines = [station.get_kind_display()]
    if station.address:
        lines.append(_("Address: %(address)s") % {"address": station.address})
    if station.opening_hours:
        lines.append(_("Opening hours: %(hours)s") % {"hours": station.opening_hours})
    if station.contact_name or station.contact_phone:
        contact = f"{station.contact_name} {station.contact_phone}".strip()
        lines.append(_("Contact: %(contact)s") % {"contact": contact})
    return lines


def poster_svg(station: Station, url: str) -> str:
    """An A4 (210×297 mm) SVG poster; user units are millimetres."""
    matrix = qr_code(url).matrix
    size = len(matrix)
    qr_mm = 130
    cell = qr_mm / (size + 4)
    origin_x, origin_y = (210 - qr_mm) / 2, 80
    modules = "".join(
        f'<rect x="{origin_x + (col + 2) * cell:.3f}" y="{origin_y + (row + 2) * cell:.3f}" '
        f'width="{cell:.3f}" height="{cell:.3f}"/>'
        for row, line in enumerate(matrix)
        for col, dark in enumerate(line)
        if dark
    )
    details = "".join(
        f'<text x="105" y="{232 + 9 * i}" font-size="6" text-anchor="middle">{escape(text)}</text>'
        for i, text in enumerate(poster_lines(station))
    )
    title = escape(station.name)
    scan = escape(_("Scan to check in and see our services"))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        'viewBox="0 0 210 297" font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif">'
        f'<rect width="210" height="297" fill="#fff"/>'
        f'<rect width="210" height="52" fill="{PARTY_RED}"/>'
        f'<rect y="52" width="210" height="2.5" fill="{GOLD}"/>'
        f'<text x="105" y="24" font-size="9" fill="{GOLD}" text-anchor="middle">'
        f"{escape(_('Heli party-building'))}</text>"
        f'<text x="105" y="40" font-size="11" fill="#fff" text-anchor="middle" '
        f'font-weight="bold">{title}</text>'
        f'<rect x="{origin_x}" y="{origin_y}" width="{qr_mm}" height="{qr_mm}" fill="#fff"/>'
        f'<g fill="#000">{modules}</g>'
        f'<text x="105" y="72" font-size="7" text-anchor="middle" fill="{PARTY_RED}">{scan}</text>'
        f"{details}"
        f'<rect y="285" width="210" height="12" fill="{PARTY_RED}"/>'
        "</svg>"
    )


def poster_pdf(station: Station, url: str) -> bytes:
    return posters_pdf([(station, url)])


def posters_pdf(stations: list[tuple[Station, str]]) -> bytes:
    """One PDF with an A4 poster per (station, public address), in the order given: the
    posters of a town printed in one go."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(stations[0][0].name if len(stations) == 1 else _("Station posters"))
    for station, url in stations:
        _draw_poster(pdf, station, url)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_poster(pdf: canvas.Canvas, station: Station, url: str) -> None:
    width, height = A4
    pdf.setFillColor(HexColor(PARTY_RED))
    pdf.rect(0, height - 52 * mm, width, 52 * mm, stroke=0, fill=1)
    pdf.rect(0, 0, width, 12 * mm, stroke=0, fill=1)
    pdf.setFillColor(HexColor(GOLD))
    pdf.rect(0, height - 54.5 * mm, width, 2.5 * mm, stroke=0, fill=1)
    pdf.setFont(CJK_FONT, 26)
    pdf.drawCentredString(width / 2, height - 24 * mm, _("Heli party-building"))
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.setFont(CJK_FONT, 30)
    pdf.drawCentredString(width / 2, height - 40 * mm, station.name)
    pdf.setFillColor(HexColor(PARTY_RED))
    pdf.setFont(CJK_FONT, 20)
    pdf.drawCentredString(width / 2, height - 72 * mm, _("Scan to check in and see our services"))

    matrix = qr_code(url).matrix
    qr_size = 130 * mm
    cell = qr_size / (len(matrix) + 4)
    left, top = (width - qr_size) / 2, height - 80 * mm
    pdf.setFillColor(HexColor("#000000"))
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                x = left + (col + 2) * cell
                y = top - (row + 3) * cell
                pdf.rect(x, y, cell, cell, stroke=0, fill=1)

    pdf.setFont(CJK_FONT, 16)
    for i, text in enumerate(poster_lines(station)):
        pdf.drawCentredString(width / 2, height - (232 + 9 * i) * mm, text)
