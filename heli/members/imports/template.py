"""The import template (党员信息导入模板.xlsx): the columns with one example row, drop-down lists
for the choice columns, and a second sheet 填写说明 with what each column takes.

ID-number and phone columns are formatted as text, so Excel keeps all 18 digits instead of
turning them into 3.20411E+17.
"""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from heli.members.choices import ETHNIC_GROUPS
from heli.members.imports.cells import EXCEL_EPOCH
from heli.members.imports.changes import UPDATE_RULE
from heli.members.imports.columns import (
    CHOICE_CLASSES,
    COLUMNS,
    DATE_COLUMNS,
    MAX_LENGTHS,
    zh_labels,
)
from heli.members.imports.reader import INSTRUCTIONS_SHEET, MAX_ROWS

DATA_SHEET = "党员信息"
FILENAME = "党员信息导入模板.xlsx"
TEXT_COLUMNS = ("id_number", "phone")


def _both(first: str, second: str) -> str:
    # Two sentences: a space between them in English, none in Chinese.
    return _("%(first)s %(second)s") % {"first": first, "second": second}


def _descriptions() -> dict[str, str]:
    dates = _both(
        _("A date: 2024-07-01, 2024/7/1, 2024.7.1, 2024年7月1日, 20240701 or an Excel date."),
        _(
            "If only the year and month are known: 2024-07, 2024.07, 2024年7月 or 202407; it is "
            "kept as that month and shown as 2024-07."
        ),
    )
    return {
        "name": _("The member's name, at most %(n)d characters.") % {"n": MAX_LENGTHS["name"]},
        "gender": _("男 or 女. Leave it empty to take it from the ID number."),
        "ethnicity": _("One of the 56 ethnic groups (汉族 may be written 汉)."),
        "birth_date": _both(
            dates,
            _(
                "Must match the ID number; a year and month that match it take the exact day "
                "from the ID number."
            ),
        ),
        "id_number": _("The 18-character number of the resident identity card."),
        "phone": _("A mainland mobile number, 11 digits."),
        "education": _("One of the values in the list on the right."),
        "joined_on": dates,
        "membership": _("正式党员 or 预备党员; empty means 正式党员."),
        "full_on": _both(
            dates,
            _(
                "Only for members who have become full members, at least a year after joining "
                "(for members who joined from 1977-08-18 on, or between 1956-09-26 and "
                "1969-04-13, when the probation was one year)."
            ),
        ),
        "org": _(
            "The exact name of the party organization holding the relationship, as in heli. "
            "If two organizations share the name, write a higher one before a slash: "
            "某某镇党委/某某村党总支."
        ),
        "residence_grid": _("The name of the grid where the member lives."),
        "employer": _("At most %(n)d characters.") % {"n": MAX_LENGTHS["employer"]},
        "industry_chain": _("The name of an industry-chain party organization, if any."),
        "occupation": _("One of the values in the list on the right; empty means 其他."),
        "status": _("One of the values in the list on the right; empty means 正常."),
        "reported_to": _(
            "For in-service members (在职党员): the village or community they reported to."
        ),
        "reported_on": dates,
        "floating_direction": _("For floating members: 流出 or 流入."),
        "floating_place": _("For floating members: where they went to or came from."),
        "floating_since": dates,
        "notes": _("Anything else."),
    }


def template_xlsx() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    data = book.add_worksheet(DATA_SHEET)
    help_sheet = book.add_worksheet(INSTRUCTIONS_SHEET)
    head = book.add_format({"bold": True, "bg_color": "#F6E3E3", "border": 1})
    required = book.add_format(
        {"bold": True, "bg_color": "#F6E3E3", "border": 1, "font_color": "#C8161D"}
    )
    as_text = book.add_format({"num_format": "@"})
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    lists = _value_lists()
    list_ranges = _write_help(book, help_sheet, lists)

    for c, column in enumerate(COLUMNS):
        header = column.header + ("*" if column.required else "")
        data.write_string(0, c, header, required if column.required else head)
        width = 22 if column.key in ("org", "id_number", "employer") else 13
        cell_format = as_text if column.key in TEXT_COLUMNS else None
        data.set_column(c, c, width, cell_format)
        if column.key in DATE_COLUMNS and column.example:
            serial = (dt.date.fromisoformat(column.example) - EXCEL_EPOCH).days
            data.write_number(1, c, serial, as_date)
        elif column.example:
            data.write_string(1, c, column.example, as_text if column.key in TEXT_COLUMNS else None)
        if column.key in list_ranges:
            data.data_validation(
                1, c, MAX_ROWS, c,
                {"validate": "list", "source": list_ranges[column.key], "error_type": "warning"},
            )  # fmt: skip
    data.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _value_lists() -> dict[str, tuple[str, list[str]]]:
    """{column key: (header, allowed values)} for the choice columns, in template order."""
    lists = {}
    for column in COLUMNS:
        if column.key == "ethnicity":
            lists["ethnicity"] = (column.header, list(ETHNIC_GROUPS))
        elif column.key in CHOICE_CLASSES:
            values = [label for _code, label in zh_labels(CHOICE_CLASSES[column.key])]
            lists[column.key] = (column.header, values)
    return lists


def _write_help(book, sheet, lists: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    """The 填写说明 sheet; returns the cell range of each value list (for the drop-downs)."""
    head = book.add_format({"bold": True, "bg_color": "#F6E3E3", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.write_row(0, 0, [_("Column"), _("Required"), _("What to write")], head)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 60, wrap)
    descriptions = _descriptions()
    for r, column in enumerate(COLUMNS, start=1):
        sheet.write_string(r, 0, column.header)
        sheet.write_string(r, 1, pgettext("required column", "yes") if column.required else "")
        sheet.write_string(r, 2, descriptions[column.key], wrap)
    notes_row = len(COLUMNS) + 2
    notes = [
        _("The first row holds the column headers; columns may be in any order and other "
          "columns are ignored. One member per row."),
        _("The whole file is imported or nothing is: first it is checked, and every problem "
          "is listed with its row number."),
        UPDATE_RULE,
        _("To correct members in bulk, export the member list with “Export in full”, correct "
          "it in Excel and import the file: members matched by ID number are updated, and the "
          "check lists every change before you confirm. A masked export cannot be imported."),
        _("At most %(n)s members per file.") % {"n": f"{MAX_ROWS:,}"},
        _("Dates known only to the year and month (入党时间 2010.07) are kept as that month and "
          "shown as 2010-07 on every page and in exports. A year and month typed as a number "
          "loses its last 0 in Excel (2010.10 becomes 2010.1, which could be January): format "
          "the date columns as text before typing them."),
        _("Each member is checked for plausibility: gender as the ID number's 17th digit says, "
          "joined at 18 or older, no date later than today, not older than 110, 转正日期 at "
          "least a year after 入党日期 where the one-year probation applied, a 正式党员 with a "
          "转正日期 and a 预备党员 without one."),
    ]  # fmt: skip
    for i, note in enumerate(notes):
        sheet.write_string(notes_row + i, 0, str(note))
    ranges = {}
    for offset, (key, (header, values)) in enumerate(lists.items()):
        col = 4 + offset
        sheet.write_string(0, col, header, head)
        sheet.set_column(col, col, 16)
        for r, value in enumerate(values, start=1):
            sheet.write_string(r, col, value)
        letter = xlsxwriter.utility.xl_col_to_name(col)
        ranges[key] = f"='{INSTRUCTIONS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges
