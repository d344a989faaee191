"""Where uploads are kept, and refusing files that are not what they claim to be.

A file is accepted only when its name AND its content say .xlsx or .csv: an .xlsx must be a
zip holding `[Content_Types].xml` and `xl/workbook.xml`, and must not expand to more than
MAX_UNCOMPRESSED bytes or by more than MAX_RATIO for any member (a zip bomb would exhaust the
worker's memory); a .csv must decode as UTF-8 (with or without BOM) or GB18030 and hold no NUL
byte. Uploads hold ID numbers in clear, so they live in a private directory and are deleted
as soon as their job no longer needs them (the upload right after a successful check: the
save works from the encrypted stage file).
"""

from __future__ import annotations

import os
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from heli.env import envint, envstr

MAX_UNCOMPRESSED = 500 * 1024 * 1024
MAX_RATIO = 100
# Members smaller than this are never bombs, whatever their ratio (a run of spaces in a tiny
# styles.xml can compress 100-fold).
RATIO_FLOOR = 1024 * 1024
XLSX_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")
KINDS = {".xlsx": "xlsx", ".csv": "csv"}


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why, for the user."""


def max_bytes() -> int:
    # Read at call time so deployments (and tests) change it without a restart of settings.
    return envint("HELI_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def import_dir() -> Path:
    return Path(envstr("HELI_IMPORT_DIR", str(settings.PROJECT_DIR / "var" / "imports")))


def upload_path(job_id: uuid.UUID | str) -> Path:
    return import_dir() / str(uuid.UUID(str(job_id)))


def too_large() -> FileRefused:
    return FileRefused(
        _("The file is larger than %(mb)s MB. Split it into several files.")
        % {"mb": max(1, max_bytes() // (1024 * 1024))}
    )


def kind_by_name(filename: str) -> str:
    """'xlsx' or 'csv' from the file name, or FileRefused."""
    kind = KINDS.get(Path(filename).suffix.lower())
    if kind is None:
        raise FileRefused(
            _(
                "Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported. Older .xls "
                "files: open them in Excel and save as .xlsx."
            )
        )
    return kind


def store_upload(chunks: Iterable[bytes], job_id: uuid.UUID) -> Path:
    """Write an upload to its private place, refusing it as soon as it passes the size limit
    (the declared size of a request is not trusted)."""
    folder = import_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = upload_path(job_id)
    limit, written = max_bytes(), 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise too_large()
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def stage_path(job_id: uuid.UUID | str) -> Path:
    """Where a checked file's rows wait, encrypted, for the save (see imports.staging)."""
    return import_dir() / f"{uuid.UUID(str(job_id))}.stage"


def remove_upload(job_id: uuid.UUID | str) -> None:
    upload_path(job_id).unlink(missing_ok=True)


def remove_all(job_id: uuid.UUID | str) -> None:
    remove_upload(job_id)
    stage_path(job_id).unlink(missing_ok=True)


def inspect(path: Path, filename: str) -> str:
    """The file's kind ('xlsx' or 'csv') once name and content agree, or FileRefused."""
    kind = kind_by_name(filename)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise FileRefused(_("The uploaded file is no longer available; upload it again.")) from exc
    if size == 0:
        raise FileRefused(_("The file is empty."))
    if size > max_bytes():
        raise too_large()
    if kind == "xlsx":
        check_xlsx(path)
    else:
        decode_csv(path.read_bytes())
    return kind


def check_xlsx(path: Path) -> None:
    not_a_workbook = FileRefused(
        _("The file is named .xlsx but is not an Excel workbook. Save it from Excel again.")
    )
    if not zipfile.is_zipfile(path):
        raise not_a_workbook
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise not_a_workbook from exc
    names = {m.filename for m in members}
    if any(required not in names for required in XLSX_REQUIRED):
        raise not_a_workbook
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNCOMPRESSED or (member.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise FileRefused(
                _(
                    "The workbook expands to far more data than it holds (a “zip bomb”); it "
                    "was refused. Save the data again as a new workbook."
                )
            )


def decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (a BOM is fine) or, as Excel on Chinese Windows saves it,
    GB18030."""
    if b"\x00" in data:
        raise FileRefused(
            _("The file is named .csv but holds binary data. Save the sheet as CSV again.")
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _("The CSV file is neither UTF-8 nor GB18030 text. Save it from Excel as “CSV UTF-8”.")
    )


class SizeLimitedUpload(FileUploadHandler):
    """Stops storing a request's file once it passes the limit, so an oversized upload never
    fills the disk; the view sees `request.import_too_large` and says so. (The rest of the
    body is still read and dropped, so the browser gets the page and not a reset.)"""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_bytes()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.import_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
