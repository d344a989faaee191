"""Data scoping that fails closed.

A *scope* says which part of the two trees the current user may see: the subtree of their party
organization and, for organizations that govern a place, the subtree of that region. Every
organization-owned model uses `ScopedManager` as its default manager; it filters every queryset
by the active scope and raises `ScopeError` when no scope is active, so a query that forgot about
scoping breaks loudly instead of leaking. The scope is opened once per request by
`ScopeMiddleware` and explicitly (`activate(Scope.everything())`) by commands and jobs.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse

from heli.core.tree import in_subtree, subtree_q


class ScopeError(RuntimeError):
    """A scoped model was queried while no scope was active."""


@dataclass(frozen=True)
class Scope:
    """Visible subtrees. `None` means nothing of that tree; `""` means the whole tree."""

    org_path: str | None
    region_path: str | None

    @classmethod
    def everything(cls) -> Scope:
        return cls(org_path="", region_path="")

    @classmethod
    def nothing(cls) -> Scope:
        return cls(org_path=None, region_path=None)

    def org_q(self, field: str) -> Q:
        return _path_q(field, self.org_path)

    def region_q(self, field: str) -> Q:
        return _path_q(field, self.region_path)

    def org_in(self, field: str, model: type[models.Model]) -> Q:
        """`org_q(field + "__path")` as a semi-join on PostgreSQL: rows whose `field` (a foreign
        key to `model`, the organizations) is one of the visible subtree's ids, where the path
        joins the organizations once per key (five hash joins of the whole tree before a count
        of lost contact, and their planning). SQLite keeps the joins: it drives an OR of
        semi-joins by each key's index (a multi-index OR over the whole zone, then a sort)."""
        if connection.vendor != "postgresql":
            return self.org_q(f"{field}__path")
        return _ids_q(field, model, self.org_path)

    def region_in(self, field: str, model: type[models.Model]) -> Q:
        """`region_q` as a semi-join (see `org_in`); `model` is the regions."""
        if connection.vendor != "postgresql":
            return self.region_q(f"{field}__path")
        return _ids_q(field, model, self.region_path)

    def covers_org(self, path: str | None) -> bool:
        """`org_q` on a path in memory: the organization lies in the visible subtree."""
        return path is not None and self.org_path is not None and in_subtree(path, self.org_path)

    def covers_region(self, path: str | None) -> bool:
        """`region_q` on a path in memory."""
        return (
            path is not None and self.region_path is not None and in_subtree(path, self.region_path)
        )


def _path_q(field: str, path: str | None) -> Q:
    if path is None:
        return Q(pk__in=[])
    if path == "":
        # Not an empty Q(): `Q() | other` collapses to `other`, which would narrow the scope.
        return Q(pk__isnull=False)
    return subtree_q(field, path)


def _ids_q(field: str, model: type[models.Model], path: str | None) -> Q:
    if path is None or path == "":
        # Nothing or everything, as `_path_q` (a null key stays visible to the whole tree).
        return _path_q(field, path)
    nodes = model._base_manager.filter(subtree_q("path", path)).values("pk")
    return Q(**{f"{field}__in": nodes})


_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("heli_scope", default=None)


def current_scope() -> Scope:
    scope = _current.get()
    if scope is None:
        raise ScopeError(
            "A scoped model was queried outside of a scope. Views get one from ScopeMiddleware; "
            "commands and jobs must use `with activate(Scope.everything()):` or a user's scope."
        )
    return scope


@contextmanager
def activate(scope: Scope) -> Iterator[Scope]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


# Resolved scoped querysets by manager, model, database, scope and vendor (ScopedManager): a few
# hundred organizations' users and two dozen models at most; cleared whole when full.
SCOPED_BASES = 4096
_scoped_bases: dict[tuple, models.QuerySet] = {}


class ScopedManager(models.Manager):
    """Default manager of organization-owned models. The model says how it is scoped by a
    classmethod `scope_q(scope) -> Q`."""

    def get_queryset(self) -> models.QuerySet:
        scope = current_scope()
        if self._hints:
            # A related manager (hints name the instance, for the router): built each time.
            return super().get_queryset().filter(self.model.scope_q(scope))
        # Resolving a scope's filter (its paths, semi-joins and ORs) is a good part of a
        # page's Python time when a page counts a dozen things; it depends on nothing but the
        # model, the scope and the database, so each is resolved once per process and every
        # caller gets a copy (never the kept queryset itself, which is never evaluated).
        key = (type(self), self.model, self._db, scope, connection.vendor)
        base = _scoped_bases.get(key)
        if base is None:
            if len(_scoped_bases) >= SCOPED_BASES:
                _scoped_bases.clear()
            base = _scoped_bases[key] = super().get_queryset().filter(self.model.scope_q(scope))
        return base.all()


class UnscopedManager(models.Manager):
    """The plain manager, kept beside `objects` as `unscoped` on scoped models: every read
    that deliberately ignores the scope (public QR pages, the demo builder, locks taken by
    services on rows already fetched through the scope) says so by name."""


def get_scoped_or_404(source: type[models.Model] | models.QuerySet, **lookup) -> models.Model:
    """Fetch through the scope: another organization's object answers 404, as if absent."""
    queryset = source.objects.all() if isinstance(source, type) else source
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


class ScopeMiddleware:
    """Opens the request user's scope for the whole request (the nothing-scope for anonymous
    visitors: public pages read through explicit unscoped lookups)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        scope = user.scope() if user is not None and user.is_authenticated else Scope.nothing()
        with activate(scope):
            return self.get_response(request)
