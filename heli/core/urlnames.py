"""Every named URL of a URL conf: what the URL matrix test and `heli bench pages` walk."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def url_names(resolver: Any = None, namespace: str = "") -> set[str]:
    """Every named URL of the URL conf, with its namespaces (`control:member_list`)."""
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names
