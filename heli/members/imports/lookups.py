"""Organizations and regions named in a file, resolved to ids within the importer's scope.

Every name is resolved once per file (a file names the same few branches thousands of times).
Names are matched exactly; when two visible nodes share a name, the user may qualify it with
an ancestor's name before a slash (潞城街道/五一村第1网格), which is unique in practice.

Exports write each name as `spelling` gives it (the shortest text that resolves back to the
node), and a row that updates a member keeps the member's organization or place when the text
`could_mean` it, even where the importer cannot name that node (an in-service member's
organization elsewhere in the zone): what was exported comes back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from heli.core.scoping import current_scope
from heli.core.tree import ancestor_paths
from heli.orgs.models import VILLAGE_LEVEL, OrgCategory, PartyOrg, Region, RegionKind

# What a row is told when a name in a column is unknown or ambiguous (validate).
LOOKUP_MESSAGES = {
    "org": (
        gettext_noop(
            "Unknown organization “%(name)s”: no party organization of this name is in your "
            "area or in the directory of organizations outside the zone."
        ),
        gettext_noop(
            "Several party organizations are named “%(name)s”. Write the unique name: add the "
            "name of a higher organization and a slash before it, e.g. “%(example)s”."
        ),
    ),
    "residence_grid": (
        gettext_noop("Unknown grid “%(name)s”: no grid of this name is in your area."),
        gettext_noop(
            "Several grids are named “%(name)s”. Write the unique name: add the village or "
            "community and a slash before it, e.g. “%(example)s”."
        ),
    ),
    "reported_to": (
        gettext_noop(
            "Unknown community “%(name)s”: no village or community of this name is in your area."
        ),
        gettext_noop(
            "Several villages or communities are named “%(name)s”. Write the unique name: add "
            "the town or street and a slash before it, e.g. “%(example)s”."
        ),
    ),
    "industry_chain": (
        gettext_noop(
            "Unknown industry chain “%(name)s”: no industry-chain party organization of this "
            "name is in your area."
        ),
        gettext_noop(
            "Several industry-chain party organizations are named “%(name)s”. Write the "
            "unique name, e.g. “%(example)s”."
        ),
    ),
}


# The model each name column names.
MODEL_OF = {
    "org": PartyOrg,
    "residence_grid": Region,
    "reported_to": Region,
    "industry_chain": PartyOrg,
}

UNKNOWN = -1
AMBIGUOUS = -2
QUALIFIER = re.compile(r"\s*[/／]\s*")


@dataclass
class NameIndex:
    """Names of the nodes one column may name, with the names of their ancestors (to resolve
    qualified names)."""

    by_name: dict[str, list[str]] = field(default_factory=dict)  # name → paths
    id_at: dict[str, int] = field(default_factory=dict)  # path → id of a nameable node
    name_at: dict[str, str] = field(default_factory=dict)  # path → name, ancestors included
    resolved: dict[str, int] = field(default_factory=dict)
    path_of: dict[int, str] = field(default_factory=dict)  # id → path, built when asked

    @classmethod
    def build(cls, nameable: Iterable[tuple[int, str, str]], names: dict[str, str]) -> NameIndex:
        index = cls(name_at=names)
        for pk, name, path in nameable:
            index.by_name.setdefault(name, []).append(path)
            index.id_at[path] = pk
        return index

    def resolve(self, text: str) -> int:
        """The node's id, UNKNOWN or AMBIGUOUS."""
        try:
            return self.resolved[text]
        except KeyError:
            outcome = self.resolved[text] = self._resolve(text)
            return outcome

    def _resolve(self, text: str) -> int:
        paths = self.by_name.get(text)
        if paths is None and QUALIFIER.search(text):
            *qualifiers, name = QUALIFIER.split(text)
            paths = [p for p in self.by_name.get(name, []) if self._under(p, qualifiers)] or None
        if paths is None:
            return UNKNOWN
        if len(paths) > 1:
            return AMBIGUOUS
        return self.id_at[paths[0]]

    def _under(self, path: str, qualifiers: list[str]) -> bool:
        """Whether the ancestors' names, root first, contain `qualifiers` in this order."""
        names = (self.name_at.get(p) for p in ancestor_paths(path)[:-1])
        # `in` consumes the generator up to the match, so the order is checked too.
        return all(q in names for q in qualifiers)

    def spelling(self, pk: int) -> str | None:
        """The shortest text that resolves to the node (its name, else qualified by one
        ancestor, nearest first, else by all), or None when the node is not nameable here or
        no text tells it apart (two namesakes under namesakes)."""
        path = self._path_of().get(pk)
        if path is None:
            return None
        name = self.name_at[path]
        ancestors = [self.name_at[p] for p in ancestor_paths(path)[:-1] if p in self.name_at]
        candidates = [name, *(f"{a}/{name}" for a in reversed(ancestors))]
        candidates.append("/".join([*ancestors, name]))
        return next((text for text in candidates if self.resolve(text) == pk), None)

    def _path_of(self) -> dict[int, str]:
        if not self.path_of and self.id_at:
            self.path_of = {pk: path for path, pk in self.id_at.items()}
        return self.path_of

    def name_of(self, pk: int) -> str | None:
        path = self._path_of().get(pk)
        return self.name_at[path] if path is not None else None

    def example(self, text: str) -> str:
        """A qualified spelling of an ambiguous name, to show in the message."""
        for path in self.by_name.get(text, []):
            ancestors = ancestor_paths(path)[:-1]
            parent = self.name_at.get(ancestors[-1]) if ancestors else None
            if parent:
                return f"{parent}/{text}"
        return text


@dataclass
class Lookups:
    """The four name columns of the template, read once in the active scope."""

    orgs: NameIndex
    grids: NameIndex
    communities: NameIndex
    chains: NameIndex
    external_orgs: frozenset[int]
    # Organizations of the uploader's own subtree: an update row may move a member only
    # between these (members.services.check_move); other moves are relationship transfers.
    own_orgs: frozenset[int] = frozenset()
    # Regions of the uploader's area: a member is seen there through the grid they live in or
    # the community they reported to (Member.scope_q).
    own_places: frozenset[int] = frozenset()

    @classmethod
    def load(cls) -> Lookups:
        scope = current_scope()
        org_rows = list(PartyOrg.objects.values_list("id", "name", "path", "category"))
        org_names = {path: name for _pk, name, path, _c in org_rows}
        region_rows = list(Region.objects.values_list("id", "name", "path", "kind"))
        region_names = {path: name for _pk, name, path, _k in region_rows}
        return cls(
            orgs=NameIndex.build(((pk, n, p) for pk, n, p, _c in org_rows), org_names),
            grids=NameIndex.build(
                ((pk, n, p) for pk, n, p, kind in region_rows if kind == RegionKind.GRID),
                region_names,
            ),
            communities=NameIndex.build(
                ((pk, n, p) for pk, n, p, kind in region_rows if kind in VILLAGE_LEVEL),
                region_names,
            ),
            chains=NameIndex.build(
                ((pk, n, p) for pk, n, p, c in org_rows if c == OrgCategory.INDUSTRY_CHAIN),
                org_names,
            ),
            external_orgs=frozenset(pk for pk, _n, _p, c in org_rows if c == OrgCategory.EXTERNAL),
            own_orgs=frozenset(
                pk
                for pk, _n, path, c in org_rows
                if c != OrgCategory.EXTERNAL and scope.covers_org(path)
            ),
            own_places=frozenset(pk for pk, _n, _p, _k in region_rows),
        )

    def indexes(self) -> dict[str, NameIndex]:
        return {
            "org": self.orgs,
            "residence_grid": self.grids,
            "reported_to": self.communities,
            "industry_chain": self.chains,
        }

    def used(self) -> dict[str, dict[str, int]]:
        """{column: {name: id}} of the names resolved so far (kept for the re-check)."""
        return {
            key: {name: pk for name, pk in index.resolved.items() if pk >= 0}
            for key, index in self.indexes().items()
        }

    def spelling(self, key: str, pk: int | None, name: str) -> str:
        """What an export writes for the node `pk` (named `name`) in column `key`."""
        if pk is None:
            return ""
        return self.indexes()[key].spelling(pk) or name

    def changed(self, used: dict[str, dict[str, int]]) -> list[str]:
        """Names of `used` that now resolve differently (renamed, moved, deleted, or out of
        scope since): the zone changed between the check and the save."""
        now = self.indexes()
        return [
            name
            for key, names in used.items()
            for name, pk in names.items()
            if now[key].resolve(name) != pk
        ]


class HeldNodes:
    """The organizations and places members hold now, read whatever the scope (a member in the
    importer's area may belong to an organization elsewhere): to tell whether a cell names the
    node the member already has, and to show the node's name. Read per node, once."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[type, int], tuple[str, list[str]]] = {}
        self._means: dict[tuple[str, str, int], bool] = {}

    def _node(self, model: type, pk: int) -> tuple[str, list[str]]:
        """(name, names of the ancestors, root first)."""
        try:
            return self._nodes[model, pk]
        except KeyError:
            name, path = model.unscoped.values_list("name", "path").get(pk=pk)
            above = dict(
                model.unscoped.filter(path__in=ancestor_paths(path)[:-1]).values_list(
                    "path", "name"
                )
            )
            node = self._nodes[model, pk] = (name, [above[p] for p in sorted(above)])
            return node

    def name(self, key: str, pk: int) -> str:
        return self._node(MODEL_OF[key], pk)[0]

    def could_mean(self, key: str, text: str, pk: int) -> bool:
        """Whether `text` names the node `pk`: its name, alone or after names of its
        ancestors (root first) and slashes, as `NameIndex` reads qualified names."""
        try:
            return self._means[key, text, pk]
        except KeyError:
            name, ancestors = self._node(MODEL_OF[key], pk)
            *qualifiers, last = QUALIFIER.split(text)
            names = iter(ancestors)
            means = text == name or (last == name and all(q in names for q in qualifiers))
            self._means[key, text, pk] = means
            return means
