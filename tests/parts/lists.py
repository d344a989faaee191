"""URL-matrix rows and world objects of the list machinery: the tree picker's data and the
background exports (a job is seen by the account that asked for it only).

The world gets two finished export jobs with their files:
- `export_a`: asked for by the grid worker of branch A;
- `export_b`: asked for by the town admin of town B.
"""

from __future__ import annotations

NAMES: tuple[str, ...] = (
    "control:check_in_history",
    "control:pending_batch_confirm",
    "control:pending_batch_reject",
    "control:campaign_task_batch_assign",
    "control:letter_batch_download",
    "control:letter_batch_remind",
    "control:letter_batch_zip",
    "control:station_batch_posters",
    "control:tree_nodes",
    "control:export_job",
    "control:export_job_status",
    "control:export_download",
)


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import EVERYONE, GRID_A, TOWN_B, Route, Target

    jobs = [Target("export_a", {"grid_worker"}), Target("export_b", {"outsider"})]
    letters = [
        Target("letter_a", GRID_A, kwarg="ids"),
        Target("letter_b", TOWN_B, kwarg="ids"),
    ]
    # Batches posted without ticked rows change nothing: they answer with a redirect back and
    # a message (tests/test_batches.py posts real ones, other towns' rows included).
    batch = {"method": "post", "ok": 302}
    return {
        "control:check_in_history": Route(Right.VIEW, query="?source=qr&q=张"),
        "control:pending_batch_confirm": Route(Right.EDIT_MEMBERS, **batch),
        "control:pending_batch_reject": Route(Right.EDIT_MEMBERS, **batch),
        "control:campaign_task_batch_assign": Route(Right.OPEN_CAMPAIGNS, **batch),
        "control:letter_batch_download": Route(Right.VIEW, **batch),
        "control:letter_batch_remind": Route(Right.EDIT_MEMBERS, **batch),
        "control:letter_batch_zip": Route(Right.VIEW, letters),
        "control:station_batch_posters": Route(Right.VIEW, **batch),
        "control:tree_nodes": Route(Right.VIEW, [Target("regions", EVERYONE, "kind")], "?q=网格"),
        "control:export_job": Route(None, jobs),  # a job is its own account's only
        "control:export_job_status": Route(None, jobs),
        "control:export_download": Route(None, jobs),
    }


def add_to_world(w) -> None:
    from heli.core import exportjobs
    from heli.core.models import ExportStatus

    for attr, role in (("export_a", "grid_worker"), ("export_b", "outsider")):
        job = exportjobs.queue(
            w.users[role], kind="members", params={}, unmasked=False, title="党员名册",
            filename="党员名册.xlsx", total=1,
        )  # fmt: skip
        exportjobs.file_of(job).write_bytes(b"PK")
        job.status = ExportStatus.DONE
        job.save()
        setattr(w, attr, job)
