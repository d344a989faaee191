"""Changing the region and party-organization trees. Each function is one transaction and
writes its audit entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit.services import Actor, record
from heli.core import changes
from heli.core.tree import TreeNode, allocate_child_path, move_subtree
from heli.orgs.geo import validate_boundary
from heli.orgs.models import OrgCategory, PartyOrg, Region, RegionKind


def _locked(node: TreeNode | None) -> TreeNode | None:
    if node is None:
        return None
    return type(node)._base_manager.select_for_update().get(pk=node.pk)


def _insert(actor: Actor, action: str, node: TreeNode, parent: TreeNode | None) -> TreeNode:
    node.parent = _locked(parent)
    node.path, node.depth = allocate_child_path(type(node), node.parent)
    node.full_clean(exclude=["path", "depth"], validate_unique=False)
    node.save()
    record(actor, action, node, detail={"parent": str(parent) if parent else ""})
    return node


def _reparent(actor: Actor, action: str, node: TreeNode, new_parent: TreeNode | None) -> None:
    if new_parent is not None and node.is_ancestor_of(new_parent):
        raise ValidationError(_("An organization cannot be moved below itself."))
    old_parent = node.parent
    move_subtree(type(node), node, _locked(new_parent))
    record(
        actor,
        action,
        node,
        detail={"from": str(old_parent or ""), "to": str(new_parent or "")},
    )


def _require_for_org(actor: Actor, org: PartyOrg, data: dict[str, Any]) -> None:
    """The structure right; the shared directory outside the zone needs its own right."""
    require(actor.user, Right.EDIT_STRUCTURE)
    if org.is_external or data.get("category") == OrgCategory.EXTERNAL:
        require(actor.user, Right.EDIT_EXTERNAL)


def _check_region_parent(kind: str, parent: Region | None) -> None:
    if parent is None and kind != RegionKind.DISTRICT:
        raise ValidationError(_("Only a district can be a top-level region."))
    if parent is not None and parent.is_grid:
        raise ValidationError(_("A grid is the smallest unit and cannot have sub-regions."))


@transaction.atomic
def create_region(actor: Actor, parent: Region | None, data: dict[str, Any]) -> Region:
    require(actor.user, Right.EDIT_STRUCTURE)
    _check_region_parent(data.get("kind", ""), parent)
    validate_boundary(data.get("boundary"))
    return _insert(actor, "region.create", Region(**data), parent)


@transaction.atomic
def update_region(
    actor: Actor, region: Region, data: dict[str, Any], new_parent: Region | None = None
) -> Region:
    require(actor.user, Right.EDIT_STRUCTURE)
    region = _locked(region)
    if data.get("kind") == RegionKind.GRID and region.children.exists():
        raise ValidationError(_("A region with sub-regions cannot become a grid."))
    validate_boundary(data.get("boundary"))
    diff = changes.apply(region, data)
    region.save()
    if diff:
        record(actor, "region.update", region, detail=diff)
    if new_parent is not None and new_parent.pk != region.parent_id:
        _check_region_parent(region.kind, new_parent)
        _reparent(actor, "region.move", region, new_parent)
    return region


@transaction.atomic
def create_org(actor: Actor, parent: PartyOrg | None, data: dict[str, Any]) -> PartyOrg:
    org = PartyOrg(**data)
    _require_for_org(actor, org, data)
    return _insert(actor, "org.create", org, parent)


@transaction.atomic
def update_org(
    actor: Actor, org: PartyOrg, data: dict[str, Any], new_parent: PartyOrg | None = None
) -> PartyOrg:
    _require_for_org(actor, org, data)
    org = _locked(org)
    diff = changes.apply(org, data)
    org.save()
    if diff:
        record(actor, "org.update", org, detail=diff)
    if new_parent is not None and new_parent.pk != org.parent_id:
        _reparent(actor, "org.move", org, new_parent)
    return org
