"""Responses that let personal data leave the masked pages (reveals, exports, letters, a pending
person's number) are never kept by a browser or a proxy: `Cache-Control: no-store` and
`Pragma: no-cache`.

The addresses come from the audit registry: every action marked reveal or export must have its
addresses below, each request must write that action (so the address is the right one), and
each answer must forbid storing. A new reveal or export fails here until it is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from heli.audit.actions import ACTIONS
from heli.audit.models import AuditEntry


@dataclass
class Ask:
    """One request that discloses: the URL name, its object (a world attribute) and query."""

    name: str
    target: str | None = None
    kwarg: str = "pk"
    query: str = ""
    method: str = "get"
    data: dict = field(default_factory=dict)  # POSTed: world attributes' ids
    extra: dict = field(default_factory=dict)  # further URL arguments


XLSX = "?export=xlsx"
DISCLOSING: dict[str, list[Ask]] = {
    "org.export": [Ask("control:org_list", query=XLSX)],
    "station.export": [Ask("control:station_list", query=XLSX)],
    "member.reveal": [Ask("control:member_reveal", "member_a", method="post")],
    "member.pipl_export": [Ask("control:member_pipl_export", "member_a", method="post")],
    "member.export": [
        Ask("control:member_list", query=XLSX),
        Ask("control:member_list", query=XLSX + "&unmasked=1"),
        Ask("control:member_export", query="?unmasked=1"),
        Ask("control:ledger_export", "grid_a", query="?unmasked=1", extra={"kind": "affiliated"}),
    ],
    "checkin.reveal": [Ask("control:pending_confirm", "pending_a")],
    "checkin.export": [
        Ask("control:check_in_list", query=XLSX),
        Ask("control:check_in_history", query=XLSX),
    ],
    "floating.reveal": [Ask("control:floating_reveal", "outflow_record_a", method="post")],
    "floating.export": [
        Ask("control:floating_export"),
        Ask("control:floating_list", query=XLSX),
        Ask("control:floating_lost", query=XLSX),
    ],
    "floating.report": [Ask("control:floating_report_xlsx")],
    "letter.download": [
        Ask("control:letter_docx", "letter_a"),
        Ask("control:letter_batch_docx", "letter_a", kwarg="ids"),
        Ask("control:letter_batch_zip", "letter_a", kwarg="ids"),
        Ask("control:letter_batch_download", method="post", data={"pick": "letter_a"}),
    ],
    "letter.export": [Ask("control:letter_list", query=XLSX)],
    "letter.due_export": [Ask("control:letter_due", query=XLSX)],
    "campaign.export": [
        Ask("control:campaign_report_xlsx", "campaign_a"),
        Ask("control:campaign_tasks", "campaign_a", query=XLSX),
    ],
    "campaign.list_export": [Ask("control:campaign_list", query=XLSX)],
    "transfer.letter_print": [Ask("control:transfer_letter", "transfer_a")],
    "transfer.export": [Ask("control:transfer_list", query=XLSX)],
    "audit.export": [Ask("control:audit_log", query=XLSX)],
}


def assert_not_stored(response, what: str) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert "no-store" in cache_control, f"{what}: Cache-Control {response.get('Cache-Control')}"
    assert response.get("Pragma") == "no-cache", f"{what}: Pragma {response.get('Pragma')}"


def test_every_action_that_reveals_or_exports_has_its_addresses_here():
    disclosing = {code for code, action in ACTIONS.items() if action.discloses is not None}
    assert set(DISCLOSING) == disclosing


@pytest.fixture
def world(world):
    """The shared world, with a contact phone on 王强's outflow record (there is none to reveal
    otherwise)."""
    from heli.core import crypto, sealed
    from heli.mobility.models import FloatingRecord

    pk, phone = world.outflow_record_a.pk, "13912345678"
    FloatingRecord.unscoped.filter(pk=pk).update(
        contact_phone_cipher=sealed.seal(FloatingRecord, "contact_phone_cipher", pk, phone),
        contact_phone_mask=crypto.mask_phone(phone),
    )
    return world


def _request(client, world, ask: Ask):
    kwargs = {ask.kwarg: getattr(world, ask.target).pk, **ask.extra} if ask.target else {}
    url = reverse(ask.name, kwargs=kwargs) + ask.query
    data = {k: getattr(world, v).pk for k, v in ask.data.items()}
    return url, getattr(client, ask.method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(DISCLOSING))
def test_what_reveals_or_exports_is_never_stored(action, world, client):
    for ask in DISCLOSING[action]:
        client.force_login(world.users["district_admin"])  # every right, the whole zone
        before = AuditEntry.unscoped.filter(action=action).count()
        url, response = _request(client, world, ask)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert AuditEntry.unscoped.filter(action=action).count() > before, f"{url}: not audited"
        assert_not_stored(response, url)


@pytest.mark.django_db
def test_a_background_export_is_downloaded_without_being_stored(world, client):
    client.force_login(world.users["grid_worker"])
    url = reverse("control:export_download", kwargs={"pk": world.export_a.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert_not_stored(response, url)


@pytest.mark.django_db
def test_masked_pages_may_be_kept_by_the_browser(world, client):
    # The header marks what discloses, not every page: a masked member page goes without it.
    client.force_login(world.users["district_admin"])
    response = client.get(reverse("control:member_detail", kwargs={"pk": world.member_a.pk}))
    assert "no-store" not in response.get("Cache-Control", "")
