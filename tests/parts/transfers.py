"""URL-matrix rows and world objects of the transfers pages.

`NAMES` lists the URL names; `rows()` builds their matrix rows (called by test_url_matrix once
Route and Target exist); `add_to_world(w)` adds the objects the rows point at to the world.

The world gets two transfers to the organization outside the zone (三都县石板村党支部), so that
each is seen by exactly one town's roles:
- `transfer_a`: 张伟 (branch A), approved and in transit with its introduction letter;
- `transfer_b`: 李娜 (branch B), applied for, awaiting the branch's approval.
"""

from __future__ import annotations

ACTIONS = ("approve", "reject", "cancel", "issue", "accept", "return", "note")

NAMES: tuple[str, ...] = (
    "control:transfer_list",
    "control:transfer_destinations",
    "control:transfer_incoming_create",
    "control:transfer_create",
    "control:transfer_detail",
    "control:transfer_letter",
    *(f"control:transfer_{action}" for action in ACTIONS),
)


def rows() -> dict:
    from heli.accounts.roles import Right
    from tests.test_url_matrix import GRID_A, TOWN_B, Route, Target

    transfers = [Target("transfer_a", GRID_A), Target("transfer_b", TOWN_B)]
    members = [Target("member_a", GRID_A), Target("member_b", TOWN_B)]
    matrix = {
        "control:transfer_list": Route(Right.VIEW, query="?status=in_transit&direction=out&q=张"),
        "control:transfer_destinations": Route(Right.EDIT_MEMBERS, query="?q=支部"),
        "control:transfer_incoming_create": Route(Right.EDIT_MEMBERS),
        # A member with a transfer under way still gets the page (with a warning).
        "control:transfer_create": Route(Right.EDIT_MEMBERS, members),
        "control:transfer_detail": Route(Right.VIEW, transfers),
        "control:transfer_letter": Route(Right.VIEW, transfers),
    }
    # Posted without the form's version nothing changes: back to the transfer with a message.
    for action in ACTIONS:
        right = Right.EDIT_MEMBERS if action == "cancel" else Right.APPROVE_TRANSFERS
        matrix[f"control:transfer_{action}"] = Route(right, transfers, method="post", ok=302)
    return matrix


def add_to_world(w) -> None:
    from heli.audit.services import Actor
    from heli.transfers import services

    system = Actor.system("world")
    w.transfer_a = services.apply(
        system,
        w.member_a,
        {"to_org": w.external, "flow_range": "other_province", "reason": "回原籍工作"},
    )
    services.approve(system, w.transfer_a)
    w.transfer_a = services.issue_letter(system, w.transfer_a)
    w.transfer_b = services.apply(
        system,
        w.member_b,
        {"to_org": w.external, "flow_range": "other_province", "reason": "随配偶迁居"},
    )
