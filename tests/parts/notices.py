"""URL-matrix rows and world objects of the notices of the daily tasks.

The world gets two unread notices:
- `notice_a`: 王强 (`outflow_record_a`, branch A) lost contact, for branch A;
- `notice_b`: the member of town B (`outflow_record_b`) is due a letter, for branch B.
"""

from __future__ import annotations

NAMES: tuple[str, ...] = ("control:notice_list", "control:notice_batch_read")


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import Route

    return {
        "control:notice_list": Route(Right.VIEW, query="?read=unread&kind=contact_lost"),
        # Posted without ticked notices nothing changes: back to the list with a message.
        "control:notice_batch_read": Route(Right.EDIT_MEMBERS, method="post", ok=302),
    }


def add_to_world(w) -> None:
    from heli.mobility import clock, notices
    from heli.mobility.models import Notice, NoticeKind

    a, b = w.outflow_record_a, w.outflow_record_b
    notices.add(
        [
            Notice(kind=NoticeKind.CONTACT_LOST, record=a, day=clock.last_contact_day(a),
                   org=a.outflow_org),
            Notice(kind=NoticeKind.LETTER_DUE, record=b, day=b.since, org=b.outflow_org),
        ]
    )  # fmt: skip
    w.notice_a = Notice.unscoped.get(record=a)
    w.notice_b = Notice.unscoped.get(record=b)
