"""Where uploads are kept, and refusing files that are not what they claim to be.

A file is accepted only when its name AND its content say .xlsx, .xls, .ods or .csv: an .xlsx
must be a zip holding `[Content_Types].xml` and `xl/workbook.xml`, an .ods a zip whose
`mimetype` is OpenDocument's spreadsheet type and that holds `content.xml`; neither may expand
to more than MAX_UNCOMPRESSED bytes or by more than MAX_RATIO for any member (a zip bomb would
exhaust the worker's memory). An .xls must be an OLE2 compound file (its signature); a .csv
must decode as UTF-8 (with or without BOM) or GB18030 and hold no NUL byte. Uploads hold ID
numbers in clear, so they live in a private directory and are deleted as soon as their job no
longer needs them (the upload right after a successful check: the save works from the
encrypted stage file), with the rows read from them (`rows_path_for`).
"""

from __future__ import annotations

import fcntl
import os
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from heli.env import envint, envstr

# A sheet with formulas showing "" in 20 columns down to row 1,048,576 expands to about 1 GB of
# XML; the reading child (imports.extract) bounds what such a file can cost.
MAX_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
MAX_RATIO = 100
# Members smaller than this are never bombs, whatever their ratio (a run of spaces in a tiny
# styles.xml can compress 100-fold).
RATIO_FLOOR = 1024 * 1024
XLSX_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")
ODS_REQUIRED = ("mimetype", "content.xml")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
KINDS = {".xlsx": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv"}


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
    """'xlsx', 'xls', 'ods' or 'csv' from the file name, or FileRefused."""
    kind = KINDS.get(Path(filename).suffix.lower())
    if kind is None:
        raise FileRefused(
            _(
                "Only Excel workbooks (.xlsx, .xls), OpenDocument spreadsheets (.ods) and CSV "
                "files (.csv) can be imported. Save the sheet in one of these formats."
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


def rows_path_for(upload: Path) -> Path:
    """Where the rows read from an upload are kept for the check (see imports.extract): next
    to it, as private, and removed with it."""
    return upload.with_name(upload.name + ".rows")


def trimmed_path_for(upload: Path) -> Path:
    """Where the reading child writes a copy of a workbook cut after its last value."""
    return upload.with_name(upload.name + ".trimmed.xlsx")


def remove_upload(job_id: uuid.UUID | str) -> None:
    """The clear-text upload and what was read from it."""
    upload = upload_path(job_id)
    for path in (upload, rows_path_for(upload), trimmed_path_for(upload)):
        path.unlink(missing_ok=True)


def remove_all(job_id: uuid.UUID | str) -> None:
    remove_upload(job_id)
    stage_path(job_id).unlink(missing_ok=True)


def lock_path(job_id: uuid.UUID | str) -> Path:
    return import_dir() / f"{uuid.UUID(str(job_id))}.lock"


@contextmanager
def holding(job_id: uuid.UUID | str) -> Iterator[None]:
    """Hold the job's lock while a worker runs one of its phases. The kernel lets go of it
    when the process ends, however it ends (killed, out of memory), so a worker that finds a
    job without news for a while can tell a dead worker's job (`held` is False) from one a
    live worker is still busy with, e.g. a long save that keeps SQLite's write lock and so
    cannot write its heartbeat."""
    folder = import_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = lock_path(job_id)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with suppress(BlockingIOError):  # taken: run anyway, the claim decided who runs
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def held(job_id: uuid.UUID | str) -> bool:
    """Whether a live worker holds the job's lock."""
    try:
        fd = os.open(lock_path(job_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def inspect(path: Path, filename: str) -> str:
    """The file's kind once name and content agree, or FileRefused."""
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
    elif kind == "ods":
        check_ods(path)
    elif kind == "xls":
        check_xls(path)
    else:
        decode_csv(path.read_bytes())
    return kind


def check_xlsx(path: Path) -> None:
    not_a_workbook = FileRefused(
        _("The file is named .xlsx but is not an Excel workbook. Save it from Excel again.")
    )
    _check_zip(path, XLSX_REQUIRED, not_a_workbook).close()


def check_ods(path: Path) -> None:
    not_a_spreadsheet = FileRefused(
        _(
            "The file is named .ods but is not an OpenDocument spreadsheet. Save it from WPS "
            "or LibreOffice again."
        )
    )
    with _check_zip(path, ODS_REQUIRED, not_a_spreadsheet) as archive:
        try:
            with archive.open("mimetype") as member:
                mimetype = member.read(len(ODS_MIMETYPE) + 2).strip()
        except (zipfile.BadZipFile, OSError) as exc:
            raise not_a_spreadsheet from exc
    if mimetype != ODS_MIMETYPE:
        raise not_a_spreadsheet


def check_xls(path: Path) -> None:
    with path.open("rb") as data:
        signature = data.read(len(OLE2_SIGNATURE))
    if signature != OLE2_SIGNATURE:
        raise FileRefused(
            _(
                "The file is named .xls but is not an Excel 97–2003 workbook. Save it from "
                "Excel again."
            )
        )


def _check_zip(path: Path, required: tuple[str, ...], refused: FileRefused) -> zipfile.ZipFile:
    """The open archive once it holds the required members and is no zip bomb."""
    if not zipfile.is_zipfile(path):
        raise refused
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refused from exc
    members = archive.infolist()
    names = {m.filename for m in members}
    if any(name not in names for name in required):
        archive.close()
        raise refused
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNCOMPRESSED or (member.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            archive.close()
            raise FileRefused(
                _(
                    "The workbook expands to far more data than it holds (a “zip bomb”); it "
                    "was refused. Save the data again as a new workbook."
                )
            )
    return archive


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
