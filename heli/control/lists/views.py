"""The request side of list pages: the page itself, the POSTed filter form (which keeps numbers
out of the URL), the print view and the export (at once when small, as a background job when
large)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render

from heli.audit.services import Actor, record
from heli.control.lists.export import ListExport
from heli.control.lists.page import PAGE_SIZES, STATE_KEYS, ListPage
from heli.control.lists.search import split_term, start_find
from heli.control.widgets import node_label
from heli.core import exportjobs
from heli.core.exporters import XLSX_TYPE
from heli.core.nostore import forbid_storing
from heli.core.replica import reads_replica


def respond(
    page_class: type[ListPage],
    request: HttpRequest,
    page_context: dict[str, Any] | None = None,
    **context: Any,
) -> HttpResponse:
    """The one entry of a list view: GET shows, prints or exports; POST is the filter form.
    `page_context` goes to the list (a ledger's region), `context` to the template."""
    if request.method == "POST":
        return _filter_post(page_class, request)
    return _show(request, page_class, page_context, context)


@reads_replica
def _show(
    request: HttpRequest,
    page_class: type[ListPage],
    page_context: dict[str, Any] | None,
    context: dict[str, Any],
) -> HttpResponse:
    """A list's page, print view or export: read-only, so from the replica when there is one."""
    page = page_class(request.user, request.GET, request.session, **(page_context or {}))
    if request.GET.get("export") == "xlsx":
        return export(page, request, unmasked=request.GET.get("unmasked") == "1")
    if request.GET.get("print") == "1":
        return print_view(page, request)
    return render(
        request,
        page_class.template,
        {**list_context(page, request), **page.extra_context(), **context},
    )


def _filter_post(page_class: type[ListPage], request: HttpRequest) -> HttpResponse:
    """Turn the POSTed filter form into the list's URL: filters and names go into the query
    string, a number into a search token (see heli.control.lists.search)."""
    query = QueryDict(mutable=True)
    for key in [*STATE_KEYS, *(f.key for f in page_class.filters)]:
        value = request.POST.get(key, "").strip()
        if value and key not in ("q", "find"):
            query[key] = value
    name, number = split_term(request.POST.get("q", ""))
    if name:
        query["q"] = name
    if number and page_class.search is not None and page_class.search.numbers:
        try:
            query["find"] = start_find(request, number, name)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    elif number:  # a list without people: the number is plain text of its search
        query["q"] = f"{name} {number}".strip()
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def list_context(page: ListPage, request: HttpRequest) -> dict[str, Any]:
    shown = page.page()
    rows = page.decorate(shown.object_list)
    columns = page.shown_columns
    user = request.user
    return {
        "list": page,
        "title": page.title,
        "headers": _headers(page),
        "rows": [
            {"pk": r.pk, "cells": [(c.css, c.testid, c.cell(r)) for c in columns]} for r in rows
        ],
        "page": shown,
        "page_numbers": _window(shown),
        "jump_max": _jump_max(shown),
        "sizes": PAGE_SIZES,
        "size": page.page_size,
        "filters": _filter_bar(page),
        "term": page.term,
        "find": page.find if page.search is not None and page.search.numbers else None,
        "state": page.state_query(),
        "state_items": [(k, v) for k, v in page.state_query_dict().items() if k != "size"],
        "without_find": page.state_query(find=""),
        "actions": [a for a in page.actions if user.can(a.right)],
        "can_unmask": page.sensitive and user.can(page.unmask_right),
        "filtered": page.filtered,
        "empty_message": page.empty_message(),
    }


def _cells(columns, row) -> list[tuple[str, str, Any]]:
    return [(c.css, c.testid, c.cell(row)) for c in columns]


def _headers(page: ListPage) -> list[dict[str, Any]]:
    current, descending = page.sort
    headers = []
    for column in page.shown_columns:
        header: dict[str, Any] = {"label": column.label, "css": column.css, "key": column.key}
        if column.sortable:
            active = current is not None and current.key == column.key
            wanted = f"-{column.key}" if active and not descending else column.key
            header.update(
                url="?" + page.state_query(sort=wanted),
                active=active,
                descending=active and descending,
            )
        headers.append(header)
    return headers


def _filter_bar(page: ListPage) -> list[dict[str, Any]]:
    bar = []
    for f in page.filters:
        item: dict[str, Any] = {
            "key": f.key,
            "label": f.label,
            "widget": f.widget,
            "raw": f.raw(page.params),
            "value": page.values.get(f.key),
        }
        if f.widget == "select":
            item["options"] = f.options()
            item["all_label"] = f.all_label
            item["default"] = f.default
        elif f.widget == "tree":
            item["tree"] = f.tree
            item["chosen"] = node_label(item["value"]) if item["value"] is not None else ""
        bar.append(item)
    return bar


def _window(shown) -> list[int | None]:
    """Page numbers to show: the first, the last, and two on each side of the current one,
    each one a link reaches by number (deep pages are reached by keyset: see `keyset`);
    None where numbers are left out."""
    last, current = max(shown.paginator.num_pages, shown.number), shown.number
    wanted = {1, last, *range(current - 2, current + 3)}
    numbers: list[int | None] = []
    for n in sorted(x for x in wanted if 1 <= x <= last and shown.reachable(x)):
        if numbers and numbers[-1] is not None and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def _jump_max(shown) -> int:
    """The deepest page the jump box reaches (past it: keyset pages, by Next only)."""
    pages = shown.paginator.num_pages
    return min(pages, shown.window) if shown.seekable else pages


def print_view(page: ListPage, request: HttpRequest) -> HttpResponse:
    limit = settings.HELI_PRINT_MAX_ROWS
    objects = list(page.queryset()[: limit + 1])
    rows = page.decorate(objects[:limit])
    return render(
        request,
        "control/list_print.html",
        {
            "title": page.title,
            "lines": page.info_lines(),
            "labels": [c.label for c in page.paper_columns],
            "rows": [[c.text(row) for c in page.paper_columns] for row in rows],
            "truncated": len(objects) > limit,
            "limit": limit,
        },
    )


def export(page: ListPage, request: HttpRequest, *, unmasked: bool) -> HttpResponse:
    """The filtered rows as .xlsx: at once when few, else queued for `heli worker`. Every
    export is audited, with whether it holds numbers in full."""
    if unmasked and not (page.sensitive and request.user.can(page.unmask_right)):
        raise PermissionDenied
    job = ListExport(page, unmasked=unmasked)
    total = job.count()
    record(
        Actor.from_request(request),
        page.export_action,
        detail={
            "title": str(page.title),
            "rows": total,
            "unmasked": unmasked,
            "filter": page.filter_lines(),
        },
    )
    if total > settings.HELI_EXPORT_INLINE_ROWS:
        queued = exportjobs.queue(
            request.user,
            kind=page.key,
            params=job.params(),
            unmasked=unmasked,
            title=str(page.title),
            filename=job.filename(),
            total=total,
        )
        return redirect("control:export_job", pk=queued.pk)
    # A spooled file, not bytes in memory: the response streams it and closes it when sent.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    job.write(spool)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=job.filename())
    response["Content-Type"] = XLSX_TYPE
    return forbid_storing(response)
