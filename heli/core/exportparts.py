"""A large sheet's rows written by several processes at once, each a contiguous part.

An export's time is Python's: reading rows, decrypting numbers, spelling names, writing XML,
all on one core while the others idle. A sheet of many rows (`PARALLEL_FROM`) whose exporter
can be cut into parts (`Exporter.part`: the same rows from `start` to `stop` of its order) is
written by `HELI_EXPORT_PROCESSES` forked processes, each reading its own slice through a
connection of its own, in the scope of the export, into a rows file of its own; the parts'
rows are numbered from where their slice starts, so the files are put into the sheet one
after the other as they are (sheetxml.splice), and the workbook is byte for byte the one a
single process writes.

Not inside a transaction: a forked process cannot share it (its reads would not see what the
transaction wrote, and closing the connection would end it), so an export in one, as the
tests' and the benchmark's are, is written by one process.
"""

from __future__ import annotations

import io
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

from heli.core import sheetxml
from heli.core.scoping import activate, current_scope

if TYPE_CHECKING:
    from heli.core.exporters import Exporter

PARALLEL_FROM = 20_000  # rows: below this, starting processes costs more than it saves
PROGRESS_EVERY = 1000
POLL_SECONDS = 0.5


class ParentConnectionOpen(Exception):
    """The parent's connections could not all be closed before forking."""


@dataclass
class Written:
    """What the parts wrote: their rows files in order, the last row's number (1-based: the
    row after it, as RowWriter counts from 0), the widest row, the columns' widths, and how
    many rows."""

    files: list[IO[bytes]]
    last_row: int
    columns: int
    widths: list[int]
    count: int


def cuttable(rows: QuerySet) -> bool:
    """Whether slices of `rows` add up to `rows`: its order ends in the primary key (a tie
    in any other order may fall either side of a slice's edge)."""
    query = rows.query
    default = rows.model._meta.ordering if query.default_ordering else []
    order = [str(o) for o in (query.order_by or default)]
    return bool(order) and order[-1].lstrip("-") in ("pk", rows.model._meta.pk.name)


def processes() -> int:
    return max(1, settings.HELI_EXPORT_PROCESSES)


def can_split(exporter: Exporter, rows: int | None) -> bool:
    """Whether `exporter`'s sheet of `rows` rows is written in parts."""
    if processes() < 2 or rows is None or rows < PARALLEL_FROM:
        return False
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return False
    return exporter.part(0, 1) is not None


def write_parts(
    exporter: Exporter,
    rows: int,
    first: int,
    styles: dict[str, int],
    widths: list[int],
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Write `rows` rows of `exporter` numbered from `first` in parts, one process each."""
    count = processes()
    size = -(-rows // count)
    bounds = [(start, min(start + size, rows)) for start in range(0, rows, size)]
    scope = current_scope()
    context = multiprocessing.get_context("fork")
    done = context.Array("q", len(bounds))  # rows written per part, for the progress
    outcomes = context.SimpleQueue()
    # The children must not inherit the parent's connections (a socket or an SQLite handle
    # used by two processes): closed here, each side opens its own.
    connections.close_all()
    if any(c.connection is not None for c in connections.all(initialized_only=True)):
        raise ParentConnectionOpen  # a connection refused to close: written by one process
    files = [tempfile.TemporaryFile() for _ in bounds]  # noqa: SIM115 (handed to the caller)
    workers = [
        context.Process(
            target=_write_part,
            args=(
                exporter.part(start, stop),
                index,
                scope,
                files[index],
                first + start,
                styles,
                done,
                outcomes,
            ),
        )
        for index, (start, stop) in enumerate(bounds)
    ]
    try:
        for worker in workers:
            worker.start()
        _wait(workers, done, progress)
        results = sorted(outcomes.get() for _ in workers)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    failed = [r for r in results if r[1] is None]
    if failed or len(results) != len(workers):
        for f in files:
            f.close()
        raise RuntimeError(f"export part failed: {failed[0][2] if failed else 'no result'}")
    merged = list(widths)
    columns = written = 0
    last_row = first
    for _index, part_widths, part_columns, part_rows, part_last in results:
        for c, width in enumerate(part_widths):
            if c >= len(merged):
                merged.append(width)
            elif width > merged[c]:
                merged[c] = width
        columns = max(columns, part_columns)
        written += part_rows
        last_row = max(last_row, part_last)
    return Written(files, last_row, columns, merged, written)


def _wait(workers, done, progress: Callable[[int], None] | None) -> None:
    reported = 0
    while any(worker.is_alive() for worker in workers):
        time.sleep(POLL_SECONDS)
        total = sum(done[:])
        if progress is not None and total // PROGRESS_EVERY > reported // PROGRESS_EVERY:
            progress(total - total % PROGRESS_EVERY)
            reported = total


def _write_part(part, index, scope, target, first, styles, done, outcomes) -> None:
    """In a forked process: write the part's rows, then report (index, widths, columns,
    rows, last row number) or (index, None, the error)."""
    try:
        _forget_inherited_connections()
        with activate(scope):
            out = _text(target)
            writer = sheetxml.RowWriter(out, first, styles, [])
            for n, row in enumerate(part.rows(), start=1):
                writer.write(row if isinstance(row, list | tuple) else list(row))
                if n % PROGRESS_EVERY == 0:
                    done[index] = n
            writer.flush()
            out.flush()
            out.detach()
        outcomes.put((index, writer.widths, writer.columns, writer.row - first, writer.row))
    except BaseException as exc:  # the parent must hear of it whatever it was
        outcomes.put((index, None, repr(exc), 0, 0))
    finally:
        connections.close_all()


def _forget_inherited_connections() -> None:
    """Drop, without closing, whatever connection objects the fork copied: closing one would
    end the parent's session on the socket they share, using one would mix two processes'
    messages on it. The part then opens its own."""
    for wrapper in connections.all(initialized_only=True):
        wrapper.connection = None
        wrapper.in_atomic_block = False
        wrapper.savepoint_ids = []
        wrapper.needs_rollback = False
        wrapper.closed_in_transaction = False


def _text(target: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(target, encoding="utf-8", write_through=False)
