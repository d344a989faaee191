"""The staff pages a user can open, taken from the URL conf, each with an object of the data.

Every named URL of the `control` namespace is either walked (`FILL`: how to give its
arguments an object the user sees; `QUERIES`: further variants of a page, a search) or left
out with a reason (`SKIP`: forms, actions, pickers, job pages). A URL in neither is reported
by `uncovered()`, so a capability that adds pages says here how to fill them. Used by
`heli bench pages` and by tests/test_query_counts.py.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heli.core.scoping import activate
from heli.core.urlnames import url_names

Fill = Callable[[Any], dict[str, Any] | None]  # user → URL kwargs, None when nothing to show


def _first(model_path: str, **filters: Any) -> Fill:
    """The user's first object of a model (by id, through the scoped manager)."""

    def fill(user: Any) -> dict[str, Any] | None:
        from django.apps import apps

        model = apps.get_model(model_path)
        with activate(user.scope()):
            pk = model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[:1]
            found = list(pk)
        return {"pk": found[0]} if found else None

    return fill


def _own_region(extra: dict[str, Any] | None = None) -> Fill:
    def fill(user: Any) -> dict[str, Any] | None:
        region = user.org.region_id if user.org_id else None
        return {"pk": region, **(extra or {})} if region else None

    return fill


NONE: Fill = lambda user: {}  # noqa: E731 - a page without arguments

FILL: dict[str, Fill] = {
    "control:dashboard": NONE,
    "control:invariant": NONE,
    "control:region_list": NONE,
    "control:region_detail": _own_region(),
    "control:org_list": NONE,
    "control:org_detail": lambda user: {"pk": user.org_id},
    "control:station_list": NONE,
    "control:station_detail": _first("stations.Station"),
    "control:station_poster": _first("stations.Station"),
    "control:audit_log": NONE,
    "control:member_list": NONE,
    "control:member_export": NONE,
    "control:member_deleted_list": NONE,
    "control:member_detail": _first("members.Member"),
    "control:ledger": _own_region({"kind": "affiliated"}),
    "control:ledger_export": _own_region({"kind": "affiliated"}),
    "control:check_in_list": NONE,
    "control:check_in_history": NONE,
    "control:floating_list": NONE,
    "control:floating_export": NONE,
    "control:floating_lost": NONE,
    "control:floating_report": NONE,
    "control:floating_report_xlsx": NONE,
    "control:floating_detail": _first("mobility.FloatingRecord"),
    "control:notice_list": NONE,
    "control:floating_nearby": _first("mobility.FloatingRecord", direction="in"),
    "control:campaign_list": NONE,
    "control:campaign_detail": _first("campaigns.Campaign"),
    "control:campaign_tasks": _first("campaigns.Campaign"),
    "control:campaign_report": _first("campaigns.Campaign"),
    "control:campaign_report_xlsx": _first("campaigns.Campaign"),
    "control:campaign_task": _first("campaigns.CampaignTask"),
    "control:letter_list": NONE,
    "control:letter_due": NONE,
    "control:letter_detail": _first("letters.ReminderLetter"),
    "control:letter_docx": _first("letters.ReminderLetter"),
    "control:transfer_list": NONE,
    "control:transfer_detail": _first("transfers.Transfer"),
    "control:transfer_letter": _first("transfers.Transfer"),
}
# Further variants of a page walked under their own label.
QUERIES: dict[str, tuple[str, str]] = {
    "members search by name": ("control:member_list", "?q=张"),
    "ledger (floating)": ("control:ledger", "floating"),
}
FORM = "a form or an action, not a page to read"
FORMS = """
    region_edit region_create org_edit org_create external_org_create station_create
    station_edit member_create member_edit member_delete member_reveal member_pipl_export
    member_restore pending_confirm pending_reject pending_batch_confirm pending_batch_reject
    check_in_batch_confirm check_in_batch_reject station_check_in floating_reveal
    floating_contact floating_duties floating_confirm_inflow floating_return floating_create
    floating_temporary_branch campaign_create campaign_close campaign_task_batch_assign
    campaign_task_decide campaign_task_assign letter_issue letter_send letter_remind
    letter_close letter_cancel letter_batch_remind letter_batch_download notice_batch_read
    transfer_incoming_create transfer_create transfer_approve transfer_reject transfer_cancel
    transfer_issue transfer_accept transfer_return transfer_note member_import
    member_import_setup member_import_save account_create account_edit account_password
    account_role account_unlock account_two_factor_reset password_change two_factor
    two_factor_enrol two_factor_codes two_factor_regenerate two_factor_disable
""".split()  # noqa: SIM905 - a list of names reads better as words
SKIP: dict[str, str] = {
    **{f"control:{name}": FORM for name in FORMS},
    **{
        f"control:{name}": why
        for name, why in {
            "lookup": "a picker's JSON (bench it with the search pages)",
            "tree_nodes": "a picker's JSON",
            "transfer_destinations": "a picker's JSON",
            "region_tree": "redirects to the user's region (region_detail)",
            "org_tree": "redirects to the user's organization (org_detail)",
            "export_job": "a background job's page",
            "export_job_status": "a background job's page",
            "export_download": "a background job's file",
            "member_import_job": "an import job's page",
            "member_import_status": "an import job's page",
            "member_import_errors": "an import job's file",
            "member_import_template": "a fixed file",
            "station_poster_svg": "an image of station_poster",
            "station_poster_pdf": "a print file of station_poster",
            "station_batch_posters": "a print file of ticked stations",
            "letter_batch_docx": "a file of ticked letters",
            "letter_batch_zip": "a file of ticked letters",
            "account_list": "accounts: the administrators', not a work role's",
            "account_locks": "accounts: the administrators', not a work role's",
        }.items()
    },
}


def uncovered() -> set[str]:
    """Staff URLs the walk neither fills nor skips."""
    staff = {name for name in url_names() if name.startswith("control:")}
    return staff - set(FILL) - set(SKIP)


@dataclass(frozen=True)
class Page:
    label: str
    url: str


def pages_for(user: Any) -> tuple[list[Page], list[str]]:
    """The pages `user` is walked through, and those without an object for them."""
    pages, missing = [], []
    for name, fill in FILL.items():
        kwargs = fill(user)
        if kwargs is None:
            missing.append(name)
        else:
            pages.append(Page(name.removeprefix("control:"), reverse(name, kwargs=kwargs)))
    for label, (name, variant) in QUERIES.items():
        kwargs = FILL[name](user)
        if kwargs is None:
            continue
        if variant.startswith("?"):
            pages.append(Page(label, reverse(name, kwargs=kwargs) + variant))
        else:
            pages.append(Page(label, reverse(name, kwargs={**kwargs, "kind": variant})))
    return pages, missing


def only(pages: list[Page], wanted: str) -> list[Page]:
    """The pages whose label holds one of the comma-separated substrings of `wanted` (all of
    them when it names none)."""
    parts = [part.strip() for part in wanted.split(",") if part.strip()]
    if not parts:
        return pages
    return [page for page in pages if any(part in page.label for part in parts)]


@dataclass
class Measure:
    label: str
    url: str
    status: int = 0
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def fetch(client: Client, url: str) -> tuple[int, float, int]:
    """One request in process (middleware, view, template, the whole body read): its status,
    seconds and queries."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
        else:
            _ = response.content
        seconds = time.perf_counter() - started
    return response.status_code, seconds, len(queries.captured_queries)


def walk(client: Client, pages: list[Page], rounds: int) -> list[Measure]:
    """Each page `rounds` times, the pages interleaved so that a busy moment falls on all."""
    measures = [Measure(page.label, page.url) for page in pages]
    for _ in range(rounds):
        for measure in measures:
            measure.status, seconds, queries = fetch(client, measure.url)
            measure.seconds.append(seconds)
            measure.queries.append(queries)
    return measures
