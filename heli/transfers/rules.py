"""Who may move a transfer on, and which organization acts at each approval level.

The state machine lives in `ACTIONS` (from which statuses an action starts, and which right the
user needs); `allowed_actions` adds the organizational side: the acting organization must lie
inside the user's subtree. A user without a user (the system, a command) may do anything the
state allows: services called by the demo and the worker act as the system.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from heli.accounts.roles import Right
from heli.orgs.models import OrgLevel, PartyOrg
from heli.transfers.models import OPEN_STATUSES, Transfer, TransferStatus

S = TransferStatus


@dataclass(frozen=True)
class Action:
    sources: tuple[str, ...]
    right: Right


ACTIONS: dict[str, Action] = {
    "approve": Action((S.APPLIED,), Right.APPROVE_TRANSFERS),
    "reject": Action((S.APPLIED,), Right.APPROVE_TRANSFERS),
    "cancel": Action((S.APPLIED, S.APPROVED), Right.EDIT_MEMBERS),
    "issue": Action((S.APPROVED,), Right.APPROVE_TRANSFERS),
    "accept": Action((S.IN_TRANSIT,), Right.APPROVE_TRANSFERS),
    "return": Action((S.IN_TRANSIT,), Right.APPROVE_TRANSFERS),
    "note": Action((S.APPLIED, S.APPROVED, S.IN_TRANSIT), Right.APPROVE_TRANSFERS),
}

# Organizations above the sending one that approve: party committees (党委/党工委). A general
# branch (党总支) has no authority over relationship transfers, so it is passed over.
APPROVING_LEVELS = (OrgLevel.COMMITTEE, OrgLevel.WORKING_COMMITTEE)


def approval_chain(from_org: PartyOrg) -> list[PartyOrg]:
    """The sending organization, then up to TRANSFER_APPROVAL_LEVELS_ABOVE committees above
    it, nearest first."""
    if settings.TRANSFER_APPROVAL_LEVELS_ABOVE <= 0:  # the usual setting: no query needed
        return [from_org]
    above = [
        org
        for org in reversed(list(from_org.ancestors(PartyOrg.unscoped)))
        if org.level in APPROVING_LEVELS
    ]
    return [from_org, *above[: max(0, settings.TRANSFER_APPROVAL_LEVELS_ABOVE)]]


def approving_org(transfer: Transfer) -> PartyOrg | None:
    """Who approves next (None once every level has approved, or for incoming transfers)."""
    if transfer.from_org is None or transfer.approvals_done >= transfer.approvals_needed:
        return None
    chain = approval_chain(transfer.from_org)
    return chain[min(transfer.approvals_done, len(chain) - 1)]


def covers(user, org: PartyOrg | None) -> bool:
    """The organization lies inside the user's subtree (never an organization outside)."""
    return org is not None and not org.is_external and user.scope().covers_org(org.path)


def acting_org(transfer: Transfer, action: str) -> PartyOrg | None:
    """The in-zone organization that takes this step (itself or on behalf of the other side)."""
    if action in ("approve", "reject"):
        return approving_org(transfer)
    if action in ("cancel", "issue"):
        return None if transfer.sender_is_external else transfer.from_org
    if action in ("accept", "return"):
        return transfer.from_org if transfer.receiver_is_external else transfer.to_org
    if action == "note":  # the other side's steps, recorded by the in-zone side
        if transfer.receiver_is_external:
            return transfer.from_org
        if transfer.sender_is_external:
            return transfer.to_org
    return None


def on_behalf(transfer: Transfer, action: str) -> bool:
    """The step is the other side's, recorded here for an organization outside the zone."""
    return action == "note" or (action in ("accept", "return") and transfer.receiver_is_external)


def state_allows(transfer: Transfer, action: str) -> bool:
    spec = ACTIONS.get(action)
    return spec is not None and transfer.status in spec.sources


def may(user, transfer: Transfer, action: str) -> bool:
    """The state allows the action, the user has the right, and the acting organization is
    inside the user's subtree. `user=None` is the system."""
    if not state_allows(transfer, action):
        return False
    org = acting_org(transfer, action)
    if org is None:
        return False
    if user is None:
        return True
    spec = ACTIONS[action]
    right_ok = user.can(spec.right)
    if action == "cancel":  # the applicant's side withdraws; approvers may too
        right_ok = user.can(Right.EDIT_MEMBERS) or user.can(Right.APPROVE_TRANSFERS)
    return right_ok and covers(user, org)


def allowed_actions(user, transfer: Transfer) -> list[str]:
    return [action for action in ACTIONS if may(user, transfer, action)]


# The steps that wait on someone (a note or a withdrawal never does).
NEXT_STEPS = ("approve", "issue", "accept")


def awaiting(user, transfers) -> list[Transfer]:
    """The open transfers among `transfers` whose next step is the user's to take: approve,
    issue the introduction letter, or accept (待我审批/接收)."""
    open_ones = transfers.filter(status__in=OPEN_STATUSES).select_related("from_org", "to_org")
    return [t for t in open_ones if any(may(user, t, step) for step in NEXT_STEPS)]
