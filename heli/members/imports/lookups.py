"""Organizations and regions named in a file, resolved to ids within the importer's scope.

Every name is resolved once per file (a file names the same few branches thousands of times).
Names are matched exactly; when two visible nodes share a name, the user may qualify it with
an ancestor's name before a slash (潞城街道/五一村第1网格), which is unique in practice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from heli.core.tree import ancestor_paths
from heli.orgs.models import VILLAGE_LEVEL, OrgCategory, PartyOrg, Region, RegionKind

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

    @classmethod
    def load(cls) -> Lookups:
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
