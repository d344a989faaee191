"""Finding a region or an organization by what staff type: part of its name, its pinyin
initials ("cqc" for 崔桥村…), or its parent's name (a village's name finds its grids)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from heli.core.pinyin import as_initials, prefix_range


def word_q(word: str) -> Q:
    q = Q(name__icontains=word) | Q(parent__name__icontains=word)
    letters = as_initials(word)
    if letters:
        q |= Q(**prefix_range("name_initials", letters))
        q |= Q(**prefix_range("parent__name_initials", letters))
    return q


def matching(queryset: QuerySet, term: str) -> QuerySet:
    """Rows of `queryset` (a Region or PartyOrg queryset, already scoped) matching every word
    of `term`; all of them when the term is empty."""
    for word in term.split():
        queryset = queryset.filter(word_q(word))
    return queryset
