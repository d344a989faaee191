"""The rows a check found valid, kept ready for the save.

While a check runs, every valid row is encrypted, digested and masked (writer.prepare) and
appended to a stage file next to the upload. When the file is valid, the stage replaces the
upload: from then on no ID number or phone is on disk in clear, the save needs neither to read
the spreadsheet again nor to hold the rows in memory, and it re-checks only what may have
changed in the zone meanwhile (the names and the ID digests recorded here).

Layout: blocks of BLOCK_ROWS rows (a 4-byte length, then a marshalled list of tuples: row
number, then the member values), a trailer (marshal dict: rows, names resolved), the trailer's
offset (8 bytes) and an HMAC-SHA256 of all that (32 bytes), keyed from SECRET_KEY. marshal is
fast and handles exactly the types of a row (str, int, bytes, None); the HMAC makes sure the
worker only ever loads what a worker wrote.
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

from heli.members.imports.validate import Row
from heli.members.imports.writer import DIGEST_AT, prepare

MAC_BYTES = 32
OFFSET = struct.Struct(">Q")
LENGTH = struct.Struct(">I")
BLOCK_ROWS = 1000  # one marshal call per block: per row, marshal.load on a file is slow
CHUNK = 1024 * 1024


class StageError(Exception):
    """The stage file is missing or was not written by heli (its MAC does not match)."""


def _mac() -> hmac.HMAC:
    key = hashlib.sha256(b"heli.members.imports.stage" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


class StageWriter:
    """Appends prepared rows; `close()` seals the file, `discard()` removes it."""

    def __init__(self, path: Path):
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.file: BinaryIO = os.fdopen(fd, "wb", buffering=CHUNK)
        self.mac = _mac()
        self.count = 0
        self.offset = 0
        self.block: list[tuple] = []

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.mac.update(data)
        self.offset += len(data)

    def add(self, row: Row) -> None:
        self.block.append((row.number, *prepare(row)))
        self.count += 1
        if len(self.block) == BLOCK_ROWS:
            self._flush()

    def _flush(self) -> None:
        data = marshal.dumps(self.block)
        self._write(LENGTH.pack(len(data)) + data)
        self.block = []

    def close(self, names: dict[str, dict[str, int]]) -> None:
        if self.block:
            self._flush()
        trailer_at = self.offset
        self._write(marshal.dumps({"rows": self.count, "names": names}))
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
        self.names: dict[str, dict[str, int]] = trailer["names"]

    def records(self) -> Iterator[tuple]:
        """(row number, *member values) for every row, read as they are used."""
        with self.path.open("rb", buffering=CHUNK) as file:
            while file.tell() < self.rows_end:
                (length,) = LENGTH.unpack(file.read(LENGTH.size))
                yield from marshal.loads(file.read(length))

    def digests(self) -> list[tuple[int, str, str]]:
        """(row number, ID digest, ID mask) of every row, for the re-check before saving."""
        return [(r[0], r[1 + DIGEST_AT], r[2 + DIGEST_AT]) for r in self.records()]
