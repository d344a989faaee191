"""Every named URL, requested as every role, with this organization's and other organizations'
object IDs. A URL added without a row here fails `test_every_url_is_in_the_matrix`.

Expected answers: anonymous → login redirect; a role without the right → 403; an object outside
the user's subtree → 404 (as if it did not exist); otherwise 200.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from heli.accounts.roles import Right
from heli.core.urlnames import url_names
from tests.import_matrix import IMPORT_MATRIX
from tests.parts import PARTS
from tests.world import ROLES

DISTRICT = {
    "district_admin", "department_liaison", "auditor", "system_admin", "security_admin",
    "audit_admin",
}  # fmt: skip
TOWN_A = DISTRICT | {"town_admin", "service_staff"}
GRID_A = TOWN_A | {"branch_secretary", "grid_worker"}
TOWN_B = DISTRICT | {"outsider"}
EVERYONE = set(ROLES)

# Written out rather than read from roles.RIGHTS, so that a change there must be made here too.
TOWN_ADMIN = {
    Right.VIEW,
    Right.EDIT_STRUCTURE,
    Right.EDIT_STATIONS,
    Right.EDIT_MEMBERS,
    Right.VIEW_SENSITIVE,
    Right.OPEN_CAMPAIGNS,
    Right.APPROVE_TRANSFERS,
}
RIGHTS = {
    # 三权分立: the district keeps every work right (and the audit log, so that somebody
    # besides the audit administrator reads what the audit administrator did) but no
    # account, role or lock right.
    "district_admin": set(Right) - {Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES, Right.LIFT_LOCKS},
    "town_admin": TOWN_ADMIN,
    "branch_secretary": {
        Right.VIEW,
        Right.EDIT_STATIONS,
        Right.EDIT_MEMBERS,
        Right.VIEW_SENSITIVE,
        Right.APPROVE_TRANSFERS,
    },
    "grid_worker": {Right.VIEW, Right.EDIT_MEMBERS},
    "service_staff": {Right.VIEW, Right.EDIT_STATIONS},
    "department_liaison": {Right.VIEW},
    "auditor": {Right.VIEW, Right.VIEW_AUDIT},
    "outsider": TOWN_ADMIN,
    "system_admin": {Right.MANAGE_ACCOUNTS},
    "security_admin": {Right.ASSIGN_ROLES, Right.LIFT_LOCKS},
    "audit_admin": {Right.VIEW_AUDIT},
}
# What a route that asks for no right needs: only a login.
SIGNED_IN = None


@dataclass
class Target:
    """An object of the world given as URL argument, and which roles can see it."""

    attr: str
    visible_to: set[str]
    kwarg: str = "pk"
    extra: dict = field(default_factory=dict)  # further URL arguments
    rights: tuple[Right, ...] = ()  # any of these instead of the route's right


@dataclass
class Route:
    right: Right | tuple[Right, ...] | None  # any of several; None (SIGNED_IN): a login only
    targets: list[Target] = field(default_factory=list)
    query: str = ""
    ok: int = 200  # what a permitted request answers (tree roots redirect to the user's root)
    method: str = "get"  # POST-only actions are requested by POST
    denied: int = 403  # what a role without the right gets (the desk sends it to its page)


REGION_TARGETS = [
    Target("grid_a", GRID_A),
    Target("village_a", TOWN_A),
    Target("grid_b", TOWN_B),
    Target("town_b", TOWN_B),
]
ORG_TARGETS = [
    Target("branch_a", GRID_A),
    Target("enterprise_a", TOWN_A),
    Target("branch_b", TOWN_B),
    Target("external", EVERYONE),
]
STATION_TARGETS = [
    Target("station_a", GRID_A),
    Target("station_a2", TOWN_A),
    Target("station_b", TOWN_B),
]
MEMBER_TARGETS = [
    Target("member_a", GRID_A),
    Target("inflow_a", GRID_A),  # relationship outside the zone, visible where she lives
    Target("in_service_a", TOWN_A),  # reported to village A; relationship at the district
    Target("member_b", TOWN_B),
]
PENDING_TARGETS = [Target("pending_a", GRID_A), Target("pending_b", TOWN_B)]
LEDGER_TARGETS = [
    Target("grid_a", GRID_A, extra={"kind": "affiliated"}),
    Target("village_a", TOWN_A, extra={"kind": "in_service"}),
    Target("grid_b", TOWN_B, extra={"kind": "floating"}),
]

# Accounts: the grid worker of town A and the town admin of town B, as seen by account managers.
ACCOUNT_TARGETS = [
    Target("user:grid_worker", TOWN_A),
    Target("user:outsider", TOWN_B),
]

MATRIX: dict[str, Route] = {
    "control:dashboard": Route(Right.VIEW, denied=302),
    "control:invariant": Route(Right.VIEW),
    "control:lookup": Route(
        Right.VIEW,
        [
            Target("regions", EVERYONE, "kind"),
            # The account form's organization picker: organizations, never members.
            Target("orgs", EVERYONE, "kind", rights=(Right.VIEW, Right.MANAGE_ACCOUNTS)),
        ],
        "?q=网格",
    ),
    "control:region_list": Route(Right.VIEW, query="?q=村&kind=grid"),
    "control:region_tree": Route(Right.VIEW, ok=302),
    "control:region_detail": Route(Right.VIEW, REGION_TARGETS),
    "control:region_edit": Route(Right.EDIT_STRUCTURE, REGION_TARGETS),
    "control:region_create": Route(
        Right.EDIT_STRUCTURE,
        [Target("village_a", TOWN_A, "parent_pk"), Target("village_b", TOWN_B, "parent_pk")],
    ),
    "control:org_list": Route(Right.VIEW, query="?q=支部&level=branch"),
    "control:org_tree": Route(Right.VIEW, ok=302),
    "control:external_org_create": Route(Right.EDIT_EXTERNAL),
    "control:org_detail": Route(Right.VIEW, ORG_TARGETS),
    "control:org_edit": Route(Right.EDIT_STRUCTURE, ORG_TARGETS[:3]),
    "control:org_create": Route(
        Right.EDIT_STRUCTURE,
        [Target("branch_a", GRID_A, "parent_pk"), Target("branch_b", TOWN_B, "parent_pk")],
    ),
    "control:station_list": Route(Right.VIEW, query="?q=网格&kind=grid_station"),
    "control:station_create": Route(Right.EDIT_STATIONS),
    "control:station_detail": Route(Right.VIEW, STATION_TARGETS),
    "control:station_edit": Route(Right.EDIT_STATIONS, STATION_TARGETS),
    "control:station_poster": Route(Right.VIEW, STATION_TARGETS),
    "control:station_poster_svg": Route(Right.VIEW, STATION_TARGETS),
    "control:station_poster_pdf": Route(Right.VIEW, STATION_TARGETS),
    "control:audit_log": Route(Right.VIEW_AUDIT, query="?success=0"),
    "control:account_list": Route((Right.MANAGE_ACCOUNTS, Right.ASSIGN_ROLES)),
    "control:account_create": Route(Right.MANAGE_ACCOUNTS),
    "control:account_edit": Route(Right.MANAGE_ACCOUNTS, ACCOUNT_TARGETS),
    "control:account_password": Route(Right.MANAGE_ACCOUNTS, ACCOUNT_TARGETS),
    "control:account_role": Route(Right.ASSIGN_ROLES, ACCOUNT_TARGETS),
    "control:account_locks": Route(Right.LIFT_LOCKS),
    "control:password_change": Route(SIGNED_IN),  # every staff member's own
    "control:account_unlock": Route(Right.LIFT_LOCKS, ACCOUNT_TARGETS, method="post", ok=302),
    # The security administrator's, for an account bound inside their subtree (their own is
    # refused in test_two_factor.py).
    "control:account_two_factor_reset": Route(
        Right.ASSIGN_ROLES, ACCOUNT_TARGETS[:1], method="post", ok=302
    ),
    # Every staff member's own second factor (test_two_factor.py for what each does).
    "control:two_factor": Route(SIGNED_IN),
    "control:two_factor_enrol": Route(SIGNED_IN),
    "control:two_factor_codes": Route(SIGNED_IN),
    "control:two_factor_regenerate": Route(SIGNED_IN, method="post", ok=302),
    "control:two_factor_disable": Route(SIGNED_IN, method="post", ok=302),
    "control:member_list": Route(Right.VIEW, query="?q=张&status=normal"),
    "control:member_export": Route(Right.VIEW, query="?status=floating"),
    "control:member_create": Route(Right.EDIT_MEMBERS),
    "control:member_deleted_list": Route(Right.RESTORE_MEMBERS),
    "control:member_detail": Route(Right.VIEW, MEMBER_TARGETS),
    "control:member_edit": Route(Right.EDIT_MEMBERS, MEMBER_TARGETS),
    "control:member_delete": Route(Right.EDIT_MEMBERS, MEMBER_TARGETS),
    "control:member_reveal": Route(Right.VIEW_SENSITIVE, MEMBER_TARGETS, method="post"),
    "control:member_pipl_export": Route(Right.VIEW_SENSITIVE, MEMBER_TARGETS, method="post"),
    "control:member_restore": Route(
        Right.RESTORE_MEMBERS, [Target("deleted_a", GRID_A)], method="post", ok=302
    ),
    "control:ledger": Route(Right.VIEW, LEDGER_TARGETS),
    "control:check_in_list": Route(Right.VIEW, query="?status=pending"),
    "control:pending_confirm": Route(Right.EDIT_MEMBERS, PENDING_TARGETS),
    # Without a reason nothing changes: the permitted answer is the redirect to the list.
    "control:pending_reject": Route(Right.EDIT_MEMBERS, PENDING_TARGETS, method="post", ok=302),
    "control:station_check_in": Route(Right.EDIT_MEMBERS, STATION_TARGETS),
    # Self-reported check-ins confirmed or rejected in a batch: posted without ticked rows,
    # nothing changes and the answer is the redirect back (tests/test_self_reported.py).
    "control:check_in_batch_confirm": Route(Right.EDIT_MEMBERS, method="post", ok=302),
    "control:check_in_batch_reject": Route(Right.EDIT_MEMBERS, method="post", ok=302),
    "control:ledger_export": Route(Right.VIEW, LEDGER_TARGETS),
}

MATRIX.update(IMPORT_MATRIX)
for _part in PARTS:
    MATRIX.update(_part.rows())

# URLs outside the staff matrix, each tested in its own module.
TESTED_ELSEWHERE = {
    "login": "test_auth.py",
    "logout": "test_auth.py",
    "login_code": "test_two_factor.py",
    "set_language": "test_i18n.py",
    "public:station": "test_public_station.py",
    "public:station_done": "test_check_in.py",
}


def test_every_url_is_in_the_matrix():
    untested = url_names() - set(MATRIX) - set(TESTED_ELSEWHERE)
    assert not untested, f"add these URLs to the scoping matrix: {sorted(untested)}"
    assert not set(MATRIX) - url_names(), "the matrix names URLs that no longer exist"


def _resolve(world, target: Target):
    if target.attr.startswith("user:"):
        return world.users[target.attr.split(":", 1)[1]].pk
    if target.kwarg == "kind":
        return target.attr
    return getattr(world, target.attr).pk


def _allowed(role: str, rights: Right | tuple[Right, ...] | None) -> bool:
    if rights is SIGNED_IN:
        return True
    return bool(RIGHTS[role] & set(rights if isinstance(rights, tuple) else (rights,)))


def _expected(role: str, route: Route, target: Target | None) -> int:
    if not _allowed(role, target.rights if target and target.rights else route.right):
        return route.denied
    if target is not None and role not in target.visible_to:
        return 404
    return route.ok


def _cases(name: str, route: Route):
    if not route.targets:
        yield None
    yield from route.targets


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_its_rights_and_subtree_allow(name, world, client):
    route = MATRIX[name]
    failures = []
    for target in _cases(name, route):
        kwargs = {target.kwarg: _resolve(world, target), **target.extra} if target else {}
        url = reverse(name, kwargs=kwargs) + route.query
        request = getattr(client, route.method)
        client.logout()
        anonymous = request(url)
        if anonymous.status_code != 302 or "/login/" not in anonymous["Location"]:
            failures.append(f"anonymous {url}: {anonymous.status_code}")
        for role in ROLES:
            client.force_login(world.users[role])
            status = request(url).status_code
            expected = _expected(role, route, target)
            if status != expected:
                failures.append(f"{role} {url} ({target and target.attr}): {status} != {expected}")
    assert not failures, "\n".join(failures)


EDIT_POSTS = {
    "control:region_edit": ("grid_b", {"name": "改名", "kind": "grid"}),
    "control:org_edit": ("branch_b", {"name": "改名", "level": "branch", "category": "regional"}),
    "control:station_edit": ("station_b", {"name": "改名", "kind": "grid_station"}),
}


@pytest.mark.parametrize("name", sorted(EDIT_POSTS))
def test_posting_to_another_towns_object_answers_404_and_changes_nothing(name, world, client):
    attr, data = EDIT_POSTS[name]
    obj = getattr(world, attr)
    client.force_login(world.users["town_admin"])
    response = client.post(reverse(name, kwargs={"pk": obj.pk}), data)
    assert response.status_code == 404
    obj.refresh_from_db()
    assert obj.name != "改名"
