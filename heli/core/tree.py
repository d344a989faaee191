"""Materialized-path trees.

Each node stores `path`: its ancestors' step numbers and its own, each as STEP_WIDTH decimal
digits ("00001" + "00003" = "0000100003"). A subtree is then one index range scan
(`path >= p AND path < next_prefix(p)`), which SQLite and PostgreSQL both answer from the path
index (SQLite does not use an index for LIKE 'p%'). Digits only, so the order is the same under
byte-wise and locale collations.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Substr

STEP_WIDTH = 5
MAX_STEP = 10**STEP_WIDTH - 1


def step_string(number: int) -> str:
    if not 1 <= number <= MAX_STEP:
        raise ValueError(f"a tree level holds at most {MAX_STEP} children")
    return str(number).zfill(STEP_WIDTH)


def next_prefix(path: str) -> str:
    """The smallest path of the same length that sorts after every descendant of `path`."""
    if not path:
        raise ValueError("the empty path has no successor")
    width = len(path)
    return str(int(path) + 1).zfill(width) if int(path) + 1 < 10**width else "A"


def subtree_q(field: str, path: str) -> Q:
    """Rows whose `field` path lies in the subtree rooted at `path` (the root included)."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": next_prefix(path)})


def in_subtree(path: str, root: str) -> bool:
    """The same range test as `subtree_q`, on a path in memory."""
    return root <= path < next_prefix(root) if root else True


def ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEP_WIDTH, len(path) + 1, STEP_WIDTH)]


class TreeNode(models.Model):
    """Abstract base for a tree kept as materialized paths."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)

    class Meta:
        abstract = True
        ordering = ["path"]

    @property
    def subtree(self) -> Q:
        return subtree_q("path", self.path)

    def is_ancestor_of(self, other: TreeNode) -> bool:
        return other.path.startswith(self.path)

    def ancestors(self, manager: models.Manager | None = None) -> models.QuerySet:
        """Ancestors from the root down, excluding self (read without scope: breadcrumbs)."""
        manager = manager or type(self)._base_manager
        return manager.filter(path__in=ancestor_paths(self.path)[:-1]).order_by("path")


def allocate_child_path(model: type[TreeNode], parent: TreeNode | None) -> tuple[str, int]:
    """Path and depth for a new last child of `parent` (a new root when None).

    Callers run inside a transaction that has locked the parent row (or, for roots, rely on
    the unique index and retry), so two concurrent inserts cannot take the same step.
    """
    prefix = parent.path if parent else ""
    depth = (parent.depth + 1) if parent else 0
    last = (
        model._base_manager.filter(parent=parent)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = int(last[-STEP_WIDTH:]) + 1 if last else 1
    return prefix + step_string(number), depth


def move_subtree(model: type[TreeNode], node: TreeNode, new_parent: TreeNode | None) -> None:
    """Re-hang `node` (and everything below it) under `new_parent`, rewriting paths in bulk."""
    if new_parent is not None and node.is_ancestor_of(new_parent):
        raise ValueError("a node cannot move below itself")
    old_path, old_depth = node.path, node.depth
    new_path, new_depth = allocate_child_path(model, new_parent)
    model._base_manager.filter(subtree_q("path", old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - old_depth),
    )
    model._base_manager.filter(pk=node.pk).update(parent=new_parent)
    node.path, node.depth, node.parent = new_path, new_depth, new_parent


def counts_by_child(
    queryset: models.QuerySet,
    path_field: str,
    parent_path: str,
    measure: models.Aggregate | None = None,
) -> dict[str, int]:
    """Count rows of `queryset` per child subtree of `parent_path`, in one grouped query
    (or add up `measure`, e.g. the counts of tally rows).

    Returns {child path: count}; rows at the parent itself are left out.
    """
    counted = {"n": measure or models.Count("pk")}
    found = measures_by_child(queryset, path_field, parent_path, counted)
    return {child: row["n"] for child, row in found.items()}


def measures_by_child(
    queryset: models.QuerySet,
    path_field: str,
    parent_path: str,
    measures: dict[str, models.Aggregate],
) -> dict[str, dict[str, int]]:
    """Several `measures` (e.g. counts filtered each its own way) of `queryset` per child
    subtree of `parent_path`, in one grouped query that reads the rows once.

    Returns {child path: {measure name: value}}; rows at the parent itself are left out.
    """
    child_length = len(parent_path) + STEP_WIDTH
    rows = (
        queryset.filter(subtree_q(path_field, parent_path) if parent_path else Q())
        .annotate(_len=Length(path_field))
        .filter(_len__gte=child_length)
        .annotate(_child=Substr(path_field, 1, child_length))
        .values("_child")
        .annotate(**{f"_m_{name}": measure for name, measure in measures.items()})
        .order_by()
    )
    return {row["_child"]: {name: row[f"_m_{name}"] or 0 for name in measures} for row in rows}


def measures_by_prefix(
    queryset: models.QuerySet,
    path_field: str,
    length: int,
    measures: dict[str, models.Aggregate],
) -> dict[str | None, dict[str, int]]:
    """Several `measures` of `queryset` grouped by the first `length` characters of the path
    in `path_field` (None where the row has no such node), in one grouped query.

    Unlike `measures_by_child` nothing is filtered out: every row falls in exactly one group,
    so the groups add up to the whole queryset's measures (a report's totals and its rows per
    town from one reading of the rows).
    """
    rows = (
        queryset.annotate(_prefix=Substr(path_field, 1, length))
        .values("_prefix")
        .annotate(**{f"_m_{name}": measure for name, measure in measures.items()})
        .order_by()
    )
    return {row["_prefix"]: {name: row[f"_m_{name}"] or 0 for name in measures} for row in rows}
