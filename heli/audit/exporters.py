"""The audit log as a workbook: one row per entry, with the action as a phrase and the detail
as a sentence, exactly as the audit page shows them."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.audit.describe import describe, detail_sentence, masked, prefetch_names
from heli.core.exporters import Exporter


class AuditExporter(Exporter):
    """Entries of `entries` (already filtered and scoped by the caller), streamed: they are
    read with `.iterator()` and the names they refer to are fetched once per chunk."""

    filename = "audit-log"
    chunk_size = 2000

    def __init__(self, entries: QuerySet):
        self.entries = entries.select_related("user")
        self.sheet_name = _("Audit log")

    def header(self) -> list[str]:
        return [
            _("Time"), _("Account"), _("Full name"), _("Organization"), _("Action"),
            _("Object"), _("Detail"), _("Address"), _("Outcome"),
        ]  # fmt: skip

    def rows(self) -> Iterator[list[Any]]:
        entries = self.entries.iterator(chunk_size=self.chunk_size)
        while chunk := list(islice(entries, self.chunk_size)):
            names = prefetch_names(chunk)
            for entry in chunk:
                yield [
                    timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.username,
                    _person(entry.user),
                    names.org(entry.org_path),
                    describe(entry),
                    masked(entry.object_repr),
                    detail_sentence(entry, names),
                    entry.ip_address or "",
                    _("Succeeded") if entry.success else _("Failed"),
                ]


def _person(user: Any) -> str:
    """The account holder's name, family name first; empty for the system or a removed
    account (entries keep only the username then)."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip()
