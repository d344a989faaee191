"""A list's rows as a workbook: the list's exporter, its title block (title, organization,
filter, date) and its file name, the same whether written at once or by a background job."""

from __future__ import annotations

from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from heli.control.lists.page import ListPage
from heli.control.lists.search import Find
from heli.core import exportjobs
from heli.core.exporters import Exporter, SheetInfo, safe_filename
from heli.core.models import ExportJob

# The lists whose exports may run as background jobs, by key (filled by `exportable`).
LISTS: dict[str, type[ListPage]] = {}


class ListExport:
    def __init__(self, page: ListPage, *, unmasked: bool):
        self.page = page
        self.unmasked = unmasked
        self.rows = page.queryset()

    def count(self) -> int:
        """The rows to write: the tallies' sum when the list knows it (a whole roll is not
        counted row by row to decide that it goes to the worker), else a count."""
        known = self.page.known_total()
        return known if known is not None else self.rows.count()

    def exporter(self) -> Exporter:
        return self.page.exporter(self.rows, unmasked=self.unmasked)

    def info(self) -> SheetInfo:
        title = str(self.page.title)
        if self.unmasked:
            title = _("%(title)s (in full)") % {"title": title}
        return SheetInfo(title, tuple(self.page.info_lines()))

    def filename(self) -> str:
        """e.g. 东方社区第1网格党支部_党员名册_2026-12-01.xlsx; a full export says so."""
        org = getattr(self.page.user, "org", None)
        title = str(self.page.title)
        if self.unmasked:
            title = _("%(title)s (in full)") % {"title": title}
        parts = [org.name if org else "", title, timezone.localdate().isoformat()]
        name = "_".join(p for p in parts if p)
        return safe_filename(name + ".xlsx")

    def write(self, target: str | IO[bytes]) -> int:
        return self.exporter().write_xlsx(target, self.info())

    def params(self) -> dict[str, Any]:
        """What a background job needs to build the same list again."""
        state = {key: self.page.params.get(key) for key in self.page.params}
        state.pop("export", None)
        state.pop("page", None)
        if self.page.find is not None:
            state["_find"] = self.page.find.to_json()
        state["_context"] = self.page.job_params()
        return state


def exportable(page_class: type[ListPage]) -> type[ListPage]:
    """Class decorator: the list's large exports may run as background jobs."""
    LISTS[page_class.key] = page_class
    exportjobs.register(page_class.key, _build)
    return page_class


def _build(job: ExportJob) -> tuple[Exporter, SheetInfo]:
    """The exporter of a queued job, rebuilt in the asking account's scope (the worker opened
    it): the same filters, search and sort as on the page."""
    page_class = LISTS[job.kind]
    params = dict(job.params)
    find = Find.from_json(params.pop("_find", None) or {})
    context = page_class.from_job_params(params.pop("_context", None) or {})
    page = page_class(job.created_by, params, find=find, **context)
    export = ListExport(page, unmasked=job.unmasked)
    return export.exporter(), export.info()
