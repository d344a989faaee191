"""Rows of the URL matrix for the member import pages (merged into test_url_matrix.MATRIX).

test_url_matrix imports this module before it defines Route and Target, so the rows are a
mapping built on first read (by `MATRIX.update`, after those classes exist): they are real
`Route`/`Target` rows, with the matrix's own role sets.

The job pages need one job of grid A and one of town B in the world: `add_import_jobs(world)`
adds them; `tests/world.py:build_world` must call it for test_url_matrix to reach them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

NAMES = (
    "control:member_import",
    "control:member_import_template",
    "control:member_import_job",
    "control:member_import_status",
    "control:member_import_errors",
    "control:member_import_save",
    "control:member_import_setup",
)


def _rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import GRID_A, TOWN_B, Route, Target

    jobs = [Target("import_job_a", GRID_A), Target("import_job_b", TOWN_B)]
    return {
        "control:member_import": Route(Right.EDIT_MEMBERS),
        "control:member_import_template": Route(Right.EDIT_MEMBERS),
        "control:member_import_job": Route(Right.EDIT_MEMBERS, jobs),
        "control:member_import_status": Route(Right.EDIT_MEMBERS, jobs),
        "control:member_import_errors": Route(Right.EDIT_MEMBERS, jobs),
        # A checked job is queued for saving, then the next roles are told it no longer waits:
        # a redirect back to the job page either way.
        "control:member_import_save": Route(Right.EDIT_MEMBERS, jobs, method="post", ok=302),
        # Neither job waits for choices: the answer is a redirect back to the job page.
        "control:member_import_setup": Route(Right.EDIT_MEMBERS, jobs, method="post", ok=302),
    }


class _LazyRows(Mapping):
    def __init__(self) -> None:
        self._built: dict | None = None

    def _all(self) -> dict:
        if self._built is None:
            self._built = _rows()
        return self._built

    def __getitem__(self, name: str):
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


IMPORT_MATRIX: Mapping = _LazyRows()


def add_import_jobs(world) -> None:
    """A checked job uploaded in grid A and an invalid one uploaded in town B."""
    from heli.members.import_models import ImportJob, JobStatus

    worker = world.users["grid_worker"]
    world.import_job_a = ImportJob.unscoped.create(
        created_by=worker,
        org_path=worker.org.path,
        filename="崔桥村第1网格党员.xlsx",
        status=JobStatus.CHECKED,
        total_rows=2,
        processed_rows=2,
    )
    outsider = world.users["outsider"]
    world.import_job_b = ImportJob.unscoped.create(
        created_by=outsider,
        org_path=outsider.org.path,
        filename="剑湖村党员.xlsx",
        status=JobStatus.INVALID,
        total_rows=1,
        processed_rows=1,
        error_count=1,
        errors=[[2, "姓名", "", "此列必填。"]],
    )
