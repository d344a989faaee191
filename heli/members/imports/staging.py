"""The rows a check found valid, kept ready for the save.

While a check runs, every valid row of a new member is encrypted, digested and masked
(writer.prepare) and every update (changes.Planner: member, version checked, new values,
history) is appended to a stage file next to the upload. When the file is valid, the stage
replaces the upload: from then on no ID number or phone is on disk in clear, the save needs
neither to read the spreadsheet again nor to hold the rows in memory, and it re-checks only
what may have changed in the zone meanwhile (the names, the ID digests and the versions
recorded here).

Layout: blocks of BLOCK_ROWS records (a 4-byte length, a kind byte — N for new members, U for
updates — then a marshalled list of tuples: row number, then the values), a trailer (marshal
dict: rows, updates, names resolved), the trailer's offset (8 bytes) and an HMAC-SHA256 of all
that (32 bytes), keyed from SECRET_KEY. marshal is fast and handles exactly the types of a row
(str, int, bytes, None, dict); the HMAC makes sure the worker only ever loads what a worker
wrote. A new member's values are encrypted for its row, so its id is taken while it is
staged (the writer's IdPool, core.ids) and kept first among its values; the MAC's key names
the layout, so a stage written before ids were staged does not authenticate (StageError: the
user uploads the file again).
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from heli.core.ids import IdPool
from heli.members.imports.validate import Row
from heli.members.imports.writer import prepare

MAC_BYTES = 32
OFFSET = struct.Struct(">Q")
LENGTH = struct.Struct(">I")
BLOCK_ROWS = 1000  # one marshal call per block: per row, marshal.load on a file is slow
NEW, UPDATE = b"N", b"U"
CHUNK = 1024 * 1024


class StageError(Exception):
    """The stage file is missing or was not written by heli (its MAC does not match)."""


def _mac() -> hmac.HMAC:
    key = hashlib.sha256(b"heli.members.imports.stage.2" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


class StageWriter:
    """Appends prepared rows, new members with ids from `ids`; `close()` seals the file,
    `discard()` removes it."""

    def __init__(self, path: Path, ids: IdPool | None = None):
        self.path = path
        self.ids = ids
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.file: BinaryIO = os.fdopen(fd, "wb", buffering=CHUNK)
        self.mac = _mac()
        self.count = 0
        self.updates = 0
        self.offset = 0
        self.blocks: dict[bytes, list[tuple]] = {NEW: [], UPDATE: []}

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.mac.update(data)
        self.offset += len(data)

    def add(self, row: Row) -> None:
        """A new member's row."""
        if self.ids is None:
            raise RuntimeError("a stage of new members needs ids (IdPool)")
        self.add_prepared(row.number, prepare(row, self.ids.take()))

    def add_prepared(self, number: int, values: tuple) -> None:
        """A new member's values as writer.prepare gives them (rows generated in code)."""
        self._append(NEW, (number, *values))
        self.count += 1

    def add_update(self, update: tuple) -> None:
        """(row number, member id, version checked, ID mask, {attribute: value}, history)."""
        self._append(UPDATE, update)
        self.updates += 1

    def _append(self, kind: bytes, record: tuple) -> None:
        block = self.blocks[kind]
        block.append(record)
        if len(block) == BLOCK_ROWS:
            self._flush(kind)

    def _flush(self, kind: bytes) -> None:
        data = marshal.dumps(self.blocks[kind])
        self._write(LENGTH.pack(len(data)) + kind + data)
        self.blocks[kind] = []

    def extend(self, stage: Stage) -> None:
        """Append every record of another sealed stage (a part of the file staged by another
        process), as its blocks stand: they are copied, not decoded."""
        for kind, block in self.blocks.items():
            if block:
                self._flush(kind)
        with stage.path.open("rb", buffering=CHUNK) as file:
            left = stage.rows_end
            while left > 0:
                data = file.read(min(CHUNK, left))
                if not data:
                    raise StageError(f"{stage.path.name}: shorter than its trailer says")
                self._write(data)
                left -= len(data)
        self.count += stage.count
        self.updates += stage.update_count

    def close(self, names: dict[str, dict[str, int]]) -> None:
        for kind, block in self.blocks.items():
            if block:
                self._flush(kind)
        trailer_at = self.offset
        self._write(marshal.dumps({"rows": self.count, "updates": self.updates, "names": names}))
        self._write(OFFSET.pack(trailer_at))
        self.file.write(self.mac.digest())
        self.file.close()

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


class Stage:
    """A sealed stage file, verified on opening."""

    def __init__(self, path: Path):
        self.path = path
        try:
            size = path.stat().st_size
            with path.open("rb") as file:
                mac = _mac()
                left = size - MAC_BYTES
                while left > 0:
                    chunk = file.read(min(CHUNK, left))
                    if not chunk:
                        break
                    mac.update(chunk)
                    left -= len(chunk)
                expected = file.read(MAC_BYTES)
                if left != 0 or not hmac.compare_digest(mac.digest(), expected):
                    raise StageError(f"{path.name}: the stage file does not authenticate")
                file.seek(size - MAC_BYTES - OFFSET.size)
                (self.rows_end,) = OFFSET.unpack(file.read(OFFSET.size))
                file.seek(self.rows_end)
                trailer = marshal.load(file)
        except (OSError, EOFError, ValueError) as exc:
            raise StageError(f"{path.name}: {exc}") from exc
        self.count: int = trailer["rows"]
        self.update_count: int = trailer["updates"]
        self.names: dict[str, dict[str, int]] = trailer["names"]

    def _blocks(self, wanted: bytes) -> Iterator[tuple]:
        with self.path.open("rb", buffering=CHUNK) as file:
            while file.tell() < self.rows_end:
                (length,) = LENGTH.unpack(file.read(LENGTH.size))
                kind = file.read(1)
                if kind == wanted:
                    yield from marshal.loads(file.read(length))
                else:
                    file.seek(length, os.SEEK_CUR)

    def records(self) -> Iterator[tuple]:
        """(row number, *member values) for every new member, read as they are used."""
        return self._blocks(NEW)

    def updates(self) -> Iterator[tuple]:
        """The updates, as StageWriter.add_update took them."""
        return self._blocks(UPDATE)
