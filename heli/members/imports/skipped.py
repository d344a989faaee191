"""Rows of a roster that are not members, told apart before the rows are checked: the import
template's example row, and the footer and summary rows offices write under a table (填报人、
审核人、填报日期, 合计 25 人). They are skipped and named in a warning, never imported and never
reported as seven errors each. Data in a column without a header is named in a warning too:
it is not imported, and the user should know.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from heli.members.imports.cells import text
from heli.members.imports.columns import EXAMPLE_ID
from heli.members.imports.problems import Problems
from heli.members.imports.sandbox import column_letters

# How the footer and summary lines of real rosters begin (the first cells of the row).
FOOTER_STARTS = (
    "填报人", "填表人", "制表人", "统计人", "审核人", "审批人", "负责人", "联系人", "经办人",
    "填报单位", "填报日期", "填表日期", "制表日期", "报送日期", "统计日期", "单位负责人",
    "合计", "总计", "共计", "小计", "总人数", "注：", "注:", "说明：", "说明:", "备注：", "备注:",
    "盖章", "（盖章）", "(盖章)",
)  # fmt: skip
FOOTER_CELLS = 3  # a footer word counts among this many first filled cells of a row
ROWS_NAMED = 20  # a warning names this many rows, then says how many more


def _rows_text(rows: list[int]) -> str:
    named = "、".join(str(n) for n in rows[:ROWS_NAMED])
    if len(rows) > ROWS_NAMED:
        named += _(" and %(n)d more") % {"n": len(rows) - ROWS_NAMED}
    return named


class RowSorter:
    """Takes the rows not to check out of a sheet's rows, remembering them for the warnings.

    Hot path: a member row costs one comparison of its ID cell and one look at its first
    cell; the headerless positions are tested only when the header has gaps or the row is
    wider than the header.
    """

    def __init__(self, positions: dict[str, int], width: int, named: set[int]):
        self.id_at = positions.get("id_number", -1)
        self.width = width
        # Positions inside the header that have no header text (neither known, unknown nor
        # ignored): data there would be lost without a word.
        self.gaps = tuple(i for i in range(width) if i not in named)
        self.example: list[int] = []
        self.footer: list[int] = []
        self.headerless: set[int] = set()

    def __call__(self, rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
        id_at, width, gaps = self.id_at, self.width, self.gaps
        for number, cells in rows:
            id_cell = cells[id_at] if 0 <= id_at < len(cells) else ""
            if id_cell == EXAMPLE_ID:
                self.example.append(number)
                continue
            if self._is_footer(cells, id_cell):
                self.footer.append(number)
                continue
            if gaps or len(cells) > width:
                self._note_headerless(cells)
            yield number, cells

    @staticmethod
    def _is_footer(cells: list, id_cell: object) -> bool:
        # A member row has an ID number, or at least not a footer word in its first cells.
        if type(id_cell) is str and len(id_cell) >= 15:
            return False
        # Fast exit for the common row that starts with a name or a 序号: the words are
        # tested only when the first cell is empty or starts like one of them.
        first = cells[0] if cells else ""
        if (first != "" and first is not None) and (
            type(first) is not str or first[:1] not in _FIRST_CHARACTERS
        ):
            return False
        filled = [text(cell) for cell in cells if cell != "" and cell is not None][:FOOTER_CELLS]
        return any(value.startswith(FOOTER_STARTS) for value in filled)

    def _note_headerless(self, cells: list) -> None:
        for index in self.gaps:
            if index < len(cells) and cells[index] not in ("", None):
                self.headerless.add(index)
        for index in range(self.width, len(cells)):
            if cells[index] not in ("", None):
                self.headerless.add(index)


def warn_skipped(
    problems: Problems, sheet: str, example: list[int], footer: list[int], headerless: set[int]
) -> None:
    """The warnings of what RowSorter left out (the example row, footer rows, rows with data
    in a column without a header), naming the sheet."""
    where = {"place": _("sheet “%(sheet)s”") % {"sheet": sheet} if sheet else _("the file")}
    if example:
        problems.warn(
            _(
                "In %(place)s, row %(rows)s: the template's example row was skipped "
                "(it is not a member)."
            )
            % {**where, "rows": _rows_text(example)}
        )
    if footer:
        problems.warn(
            _(
                "In %(place)s, rows %(rows)s: footer or total lines (填报人, 审核人, "
                "合计…) were recognised and skipped."
            )
            % {**where, "rows": _rows_text(footer)}
        )
    if headerless:
        letters = "、".join(column_letters(i + 1) for i in sorted(headerless))
        problems.warn(
            _(
                "In %(place)s, column %(columns)s: there is content in a column without "
                "a header; it was not imported. Give the column a header and upload the "
                "file again if it should be."
            )
            % {**where, "columns": letters}
        )


_FIRST_CHARACTERS = frozenset(word[0] for word in FOOTER_STARTS)
