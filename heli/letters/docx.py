"""Reminder letters as Word documents (.docx), in the layout of official letters (GB/T 9704):
A4, number at the top right, the title centred, the addressee, the body in 仿宋 三号, the
issuing organization and the date in Chinese form at the bottom right.

The letter is an official Chinese document whoever downloads it, so it is always written in
the platform's default language. It names the member (name and gender) but never their ID
number or phone.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from heli.core.exporters import safe_filename

from .models import ReminderLetter

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
LINE = Pt(28)  # 22 lines to the A4 page of GB/T 9704
PROGRESS_EVERY = 10


def chinese_date(day: dt.date) -> str:
    """2026年11月26日: the form official documents use (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _font(run, east_asian: str, size: Pt, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph(document, text: str = "", *, align=None, indent: bool = False, space_before=0):
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before, fmt.space_after = Pt(space_before), Pt(0)
    if indent:
        fmt.first_line_indent = BODY_SIZE * 2
    if align is not None:
        paragraph.alignment = align
    if text:
        _font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
    return paragraph


def _setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = LATIN_FONT, BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def body_paragraphs(letter: ReminderLetter) -> list[str]:
    """The body, one string per paragraph (also what the tests and the page preview read)."""
    member, floating, org = letter.member, letter.record, letter.issuing_org
    paragraphs = [
        _(
            "Comrade %(name)s, %(gender)s, is a party member of %(org)s. On %(since)s "
            "%(name)s left for %(place)s (%(reason)s)."
        )
        % {
            "name": member.name,
            "gender": member.get_gender_display(),
            "org": org.name,
            "since": chinese_date(floating.since),
            "place": floating.place,
            "reason": floating.get_reason_display(),
        },
        _(
            "Under the Party's rules on floating members, a member who is away shall report "
            "to the party organization where they now live and take part in its life. So far "
            "we have not learned that this comrade has reported there."
        ),
        _(
            "Please help urge this comrade to report to the local party organization within "
            "%(days)s days of receiving this letter, and let us know when they have; if they "
            "have already reported, please confirm it to us."
        )
        % {"days": settings.LETTER_REPLY_DAYS},
    ]
    paragraphs.append(contact_line(org))
    paragraphs.append(_("We hereby write to you."))
    return paragraphs


def contact_line(org) -> str:
    """Who to call about the letter: the organization's secretary and its phone. The phone is
    always named, as not registered when the organization has none, so the addressee is never
    left with a contact they cannot reach (and the staff see the gap to fill)."""
    phone = org.phone.strip() or _("(not registered)")
    if org.secretary.strip():
        return _("Contact: %(person)s, phone: %(phone)s.") % {
            "person": org.secretary.strip(),
            "phone": phone,
        }
    return _("Contact phone: %(phone)s.") % {"phone": phone}


def _write_letter(document, letter: ReminderLetter, first: bool) -> None:
    number = _paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if not first:
        number.add_run().add_break(WD_BREAK.PAGE)
    _font(number.add_run(letter.number), BODY_FONT, BODY_SIZE)
    title = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, space_before=16)
    title.paragraph_format.line_spacing = Pt(40)
    _font(title.add_run(_("Reminder letter to report")), TITLE_FONT, TITLE_SIZE, bold=True)
    _paragraph(document)
    _paragraph(document, _("%(addressee)s:") % {"addressee": letter.addressee})
    for text in body_paragraphs(letter):
        _paragraph(document, text, indent=True)
    _paragraph(document)
    _paragraph(document)
    _paragraph(document, letter.issuing_org.name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, chinese_date(letter.issued_on), align=WD_ALIGN_PARAGRAPH.RIGHT)


def render(
    letters: Sequence[ReminderLetter], progress: Callable[[int], None] | None = None
) -> bytes:
    """One .docx holding the letters in order, each starting on a new page; `progress` is
    told how many are written every PROGRESS_EVERY letters (a batch written in the
    background)."""
    with translation.override(settings.LANGUAGE_CODE):
        document = Document()
        _setup(document)
        document.core_properties.title = (
            letters[0].number if len(letters) == 1 else _("Reminder letters")
        )
        document.core_properties.author = letters[0].issuing_org.name if letters else ""
        for i, letter in enumerate(letters):
            _write_letter(document, letter, first=i == 0)
            if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                progress(i + 1)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def render_zip(
    letters: Sequence[ReminderLetter], progress: Callable[[int], None] | None = None
) -> bytes:
    """A zip with one .docx per letter, named by its number (to send each on its own)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, letter in enumerate(letters):
            archive.writestr(safe_filename(filename([letter])), render([letter]))
            if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                progress(i + 1)
    return out.getvalue()


def zip_filename(letters: Sequence[ReminderLetter]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Reminder letters (%(count)s).zip") % {"count": len(letters)}


def filename(letters: Sequence[ReminderLetter]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if len(letters) == 1:
            return f"{letters[0].number}.docx"
        return _("Reminder letters (%(count)s).docx") % {"count": len(letters)}
