"""Navigation and rights for the staff pages' templates, filtered by the user's role."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from heli.accounts import twofactor
from heli.accounts.roles import Right
from heli.control import todo
from heli.control.access import can_any

MENU = [
    ("control:dashboard", _("My desk"), Right.VIEW, "dashboard"),
    ("control:region_tree", _("Region tree"), Right.VIEW, "region"),
    ("control:org_tree", _("Party organizations"), Right.VIEW, "org"),
    ("control:station_list", _("Stations"), Right.VIEW, "station"),
    ("control:member_list", _("Member registry"), Right.VIEW, "member"),
    ("control:check_in_list", _("Check-ins"), Right.VIEW, "check"),
    ("control:floating_list", _("Floating members"), Right.VIEW, "floating"),
    ("control:letter_list", _("Reminder letters"), Right.VIEW, "letter"),
    ("control:campaign_list", _("Return-to-ranks campaigns"), Right.VIEW, "campaign"),
    ("control:transfer_list", _("Relationship transfers"), Right.VIEW, "transfer"),
    ("control:invariant", _("One grid, one branch, one station"), Right.VIEW, "invariant"),
    ("control:account_list", _("Accounts"), (Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES), "account"),
    ("control:audit_log", _("Audit log"), Right.VIEW_AUDIT, "audit"),
]


def home(user) -> str | None:
    """The first page of the menu `user` may open (the desk for every work role; an
    administrator's own page for the three administrators), None for an account without any."""
    return next((url for url, _label, right, _s in MENU if can_any(user, right)), None)


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match is not None and match.url_name else ""
    if name.startswith("external_org"):
        return "org"
    if name.startswith("ledger"):
        return "region"
    if name.startswith("pending") or name == "station_check_in":
        return "check"
    return name.split("_")[0]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    # Nor before the second step of the login: no counts of anything yet.
    if user is None or not user.is_authenticated or twofactor.pending(request):
        return {"menu": [], "can": {}}
    counts = todo.badges(request)
    return {
        "menu": [
            {"url": url, "label": label, "section": section, "badge": counts.get(section, 0)}
            for url, label, right, section in MENU
            if can_any(user, right)
        ],
        "can": {right.value: True for right in user.rights},
        "nav_section": _section(request),
    }
