"""Problems found in a file: where (row as Excel numbers it, column header), what (the cell,
masked for ID numbers and phones), and why (a sentence in the uploader's language)."""

from __future__ import annotations

from dataclasses import dataclass, field

from heli.core import crypto, freetext

ERROR_LIMIT = 1000  # kept for the page and the report; all are counted
FILE_ROW = 0  # the row of a problem with the file as a whole
SHOWN_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    column: str
    value: str
    message: str

    def as_list(self) -> list:
        return [self.row, self.column, self.value, self.message]


def _mask_middle(text: str) -> str:
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def shown(key: str, text: str) -> str:
    """A cell as the error report may show it: ID numbers and phones masked as everywhere
    else in heli (the report is a file that travels), other text cut to a readable length."""
    if not text:
        return ""
    if key == "id_number":
        return crypto.mask_id(text) if len(text) == 18 else _mask_middle(text)
    if key == "phone":
        return crypto.mask_phone(text) if len(text) == 11 else _mask_middle(text)
    text = freetext.mask(text)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


@dataclass
class Problems:
    """Every problem is counted; the first `limit` are kept."""

    limit: int = ERROR_LIMIT
    items: list[Problem] = field(default_factory=list)
    count: int = 0
    bad_rows: set[int] = field(default_factory=set)
    # Findings that do not stop the import (hidden rows, a footer, the example row skipped).
    warnings: list[str] = field(default_factory=list)

    def add(self, row: int, column: str, value: str, message: str) -> None:
        self.count += 1
        self.bad_rows.add(row)
        if len(self.items) < self.limit:
            self.items.append(Problem(row, column, value, message))

    def file_level(self, message: str) -> None:
        self.add(FILE_ROW, "", "", message)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def merge(self, other: Problems) -> None:
        """Take in the problems another part of the file found (pipeline's parts)."""
        self.count += other.count
        self.bad_rows |= other.bad_rows
        self.items.extend(other.items[: max(0, self.limit - len(self.items))])
        for message in other.warnings:
            self.warn(message)

    def __bool__(self) -> bool:
        return self.count > 0

    def as_json(self) -> list[list]:
        return [p.as_list() for p in sorted(self.items, key=lambda p: p.row)]
