"""URL-matrix rows and world objects of the letters pages.

`NAMES` lists the URL names; `rows()` builds their matrix rows (called by test_url_matrix once
Route and Target exist); `add_to_world(w)` adds the objects the rows point at to the world.

The world gets two issued (not yet sent) reminder letters:
- `letter_a`: for 王强 (`outflow_record_a`, branch A), issued by the grid worker of branch A;
- `letter_b`: for 周杰 (`outflow_record_b`, branch B), issued by the town admin of town B.
"""

from __future__ import annotations

NAMES: tuple[str, ...] = (
    "control:letter_list",
    "control:letter_due",
    "control:letter_issue",
    "control:letter_detail",
    "control:letter_docx",
    "control:letter_batch_docx",
    "control:letter_send",
    "control:letter_remind",
    "control:letter_close",
    "control:letter_cancel",
)


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import GRID_A, TOWN_B, Route, Target

    letters = [Target("letter_a", GRID_A), Target("letter_b", TOWN_B)]
    batches = [Target(t.attr, t.visible_to, kwarg="ids") for t in letters]
    # Posted without data nothing changes: each action answers with a redirect back to the
    # letter (or the due list) carrying an error message.
    return {
        "control:letter_list": Route(Right.VIEW, query="?status=draft&q=王&year=2026&overdue="),
        "control:letter_due": Route(Right.VIEW, query="?q=王"),
        "control:letter_issue": Route(Right.EDIT_MEMBERS, method="post", ok=302),
        "control:letter_detail": Route(Right.VIEW, letters),
        "control:letter_docx": Route(Right.VIEW, letters),
        "control:letter_batch_docx": Route(Right.VIEW, batches),
        "control:letter_send": Route(Right.EDIT_MEMBERS, letters, method="post", ok=302),
        "control:letter_remind": Route(Right.EDIT_MEMBERS, letters, method="post", ok=302),
        "control:letter_close": Route(Right.EDIT_MEMBERS, letters, method="post", ok=302),
        "control:letter_cancel": Route(Right.EDIT_MEMBERS, letters, method="post", ok=302),
    }


def add_to_world(w) -> None:
    from heli.audit.services import Actor
    from heli.letters.services import issue

    (w.letter_a,) = issue(Actor(user=w.users["grid_worker"]), [w.outflow_record_a])
    (w.letter_b,) = issue(Actor(user=w.users["outsider"]), [w.outflow_record_b])
