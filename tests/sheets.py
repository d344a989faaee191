"""Reading the workbooks heli sends, in tests: the title block, the header and the rows."""

from __future__ import annotations

import io
from dataclasses import dataclass

from python_calamine import CalamineWorkbook


def body(response) -> bytes:
    """The bytes of a response, streamed (a file) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@dataclass
class Sheet:
    info: list[str]  # the title block above the header: title, organization, filter, date
    header: list
    rows: list[list]


def read(response_or_bytes) -> Sheet:
    data = response_or_bytes if isinstance(response_or_bytes, bytes) else body(response_or_bytes)
    cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    # The title block ends with a blank row; a sheet without one starts with its header.
    blank = next(
        (i for i, row in enumerate(cells) if not any(c not in ("", None) for c in row)), None
    )
    if blank is None or blank > 8:
        return Sheet([], cells[0], cells[1:])
    info = [row[0] for row in cells[:blank]]
    return Sheet(info, cells[blank + 1], cells[blank + 2 :])
