"""Reading a workbook's sheet in a child process (`sandbox`), so that no file can take the
worker down with it.

The child runs with an address-space limit (HELI_IMPORT_MEMORY_MB, default 1536) and a
wall-clock limit (HELI_IMPORT_READ_SECONDS, default 300). It writes the sheet's non-blank rows
next to the upload (`files.rows_path_for`, removed with the upload should the worker die
meanwhile); the parent takes them in as a compact pickled stream (a fraction of what the
spreadsheet library holds) and deletes the file, then walks them as often as the check needs.
While the child runs, the parent calls `heartbeat` every few seconds so the job shows a live
worker. A child that dies (out of memory, aborted, killed, too slow) becomes a FileRefused
naming the sheet and, for .xlsx, its used range: the job fails with that message and the
worker goes on with the next one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.db import OperationalError
from django.utils.translation import gettext as _

from heli.env import envint
from heli.members.imports import files, sandbox
from heli.members.imports.files import FileRefused
from heli.members.imports.sandbox import leftovers
from heli.members.imports.sheetcuts import SPLIT_BYTES

HEARTBEAT_EVERY = 5.0  # seconds


@dataclass
class Extract:
    """What the child found: the sheet it read among the data sheets, its non-blank rows
    (as `sandbox.write_rows` wrote them), and the hidden rows (holding data) and column
    spans."""

    name: str
    sheets: list[str]
    rows: bytes
    count: int
    hidden_rows: list[int] = field(default_factory=list)
    hidden_cols: list[list[int]] = field(default_factory=list)
    hidden_known: bool = True


def memory_mb() -> int:
    return envint("HELI_IMPORT_MEMORY_MB", 1536)


def read_seconds() -> int:
    return envint("HELI_IMPORT_READ_SECONDS", 300)


def _nothing() -> None:
    pass


def extract(
    path: Path,
    kind: str,
    out: Path,
    sheet: str | None = None,
    heartbeat: Callable[[], None] = _nothing,
) -> Extract:
    """Read `sheet` (default: the first data sheet) of the workbook into `out`."""
    trim = files.trimmed_path_for(path)
    request = {
        "path": str(path),
        "kind": kind,
        "sheet": sheet,
        "out": str(out),
        "trim": str(trim),
        "memory_mb": memory_mb(),
        "split_bytes": envint("HELI_IMPORT_SPLIT_BYTES", SPLIT_BYTES),
    }
    env = {"PATH": os.environ.get("PATH", ""), "RUST_BACKTRACE": "0", "LANG": "C.UTF-8"}
    child = subprocess.Popen(
        [sys.executable, "-I", sandbox.__file__, json.dumps(request)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        output, timed_out = _wait(child, heartbeat)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for left in leftovers(str(trim), str(out)):
            Path(left).unlink(missing_ok=True)
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    first = lines[0] if lines else {}
    if "error" in first:
        out.unlink(missing_ok=True)
        raise _refusal(first)
    if child.returncode != 0 or len(lines) < 2:
        out.unlink(missing_ok=True)
        raise _died(path, kind, first, timed_out=timed_out)
    last = lines[-1]
    # The rows hold ID numbers in clear: kept in memory for the check's walks, not on disk.
    rows = out.read_bytes()
    out.unlink()
    return Extract(
        name=first["name"],
        sheets=first["sheets"],
        rows=rows,
        count=last["count"],
        hidden_rows=last["hidden_rows"],
        hidden_cols=last["hidden_cols"],
        hidden_known=last["hidden_known"],
    )


def _wait(child: subprocess.Popen, heartbeat: Callable[[], None]) -> tuple[str, bool]:
    """The child's output once it ends, and whether it was stopped for running too long."""
    deadline = time.monotonic() + read_seconds()
    beat = time.monotonic() + HEARTBEAT_EVERY
    while True:
        try:
            wait = max(0.01, min(beat, deadline) - time.monotonic())
            output, _ignored = child.communicate(timeout=wait)
            return output.decode("utf-8", "replace"), False
        except subprocess.TimeoutExpired:
            now = time.monotonic()
        if now >= deadline:
            child.kill()
            output, _ignored = child.communicate()
            return output.decode("utf-8", "replace"), True
        if now >= beat:
            # On SQLite a write may wait past the busy timeout: the next beat tries again.
            with suppress(OperationalError):
                heartbeat()
            beat = now + HEARTBEAT_EVERY


def _refusal(said: dict) -> FileRefused:
    error = said["error"]
    if error == "missing_sheet":
        return FileRefused(
            _("The workbook has no sheet named “%(sheet)s”. Its sheets: %(sheets)s.")
            % {"sheet": said["name"], "sheets": "、".join(said["sheets"])}
        )
    if error == "no_sheet":
        return FileRefused(_("The workbook has no visible worksheet."))
    return FileRefused(
        _("The workbook cannot be read (%(error)s). Save it from Excel again.")
        % {"error": said.get("detail", "")}
    )


def _died(path: Path, kind: str, said: dict, *, timed_out: bool) -> FileRefused:
    """The message for a sheet whose reading ran out of memory or time."""
    name = said.get("name")
    extent = used_range(path, said) if kind == "xlsx" and said.get("part") else None
    if name is None:
        return FileRefused(
            _(
                "The workbook is too large to read (it needs more memory or time than allowed). "
                "Save the data again as a new workbook with only the members' sheet."
            )
        )
    if extent:
        return FileRefused(
            _(
                "The sheet “%(sheet)s” cannot be read: its used range reaches %(cell)s, far "
                "beyond the members' rows. Delete the extra content at the end of the sheet "
                "(rows and columns after the data), save it again and upload it."
            )
            % {"sheet": name, "cell": extent}
        )
    if timed_out:
        return FileRefused(
            _(
                "Reading the sheet “%(sheet)s” took longer than %(seconds)s seconds. Delete "
                "extra content after the data, or split the file, and upload it again."
            )
            % {"sheet": name, "seconds": read_seconds()}
        )
    return FileRefused(
        _(
            "The sheet “%(sheet)s” is too large to read (it needs more memory than allowed). "
            "Delete extra content after the data, or split the file, and upload it again."
        )
        % {"sheet": name}
    )


def used_range(path: Path, said: dict) -> str | None:
    """The sheet's farthest cell: as it declares it, or found by a scan of its XML."""
    dimension = said.get("dimension") or ""
    corner = dimension.rpartition(":")[2]
    if corner and corner != "A1":
        return corner
    try:
        with zipfile.ZipFile(path) as archive:
            return sandbox.xlsx_extent(archive, said["part"])
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
