"""The registry of audited actions: what each one is called, where it belongs, and how its
detail reads.

Every action string passed to `heli.audit.services.record` has an entry here (a test scans the
code for them). The audit app sits low in the layers, so it names other apps' models and
fields by string ("members.member.status") and resolves them through Django's app registry
when a detail is rendered (see `heli.audit.describe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Area(Enum):
    """Groups of the action filter, in the order it lists them."""

    SENSITIVE = "sensitive"
    ACCOUNTS = "accounts"
    ORGS = "orgs"
    STATIONS = "stations"
    MEMBERS = "members"
    CHECKINS = "checkins"
    FLOATING = "floating"
    LETTERS = "letters"
    CAMPAIGNS = "campaigns"
    TRANSFERS = "transfers"
    IMPORTS = "imports"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return str(AREA_LABELS[self])


# Plain values above, labels here: an Enum hashes its values when the class is built, which
# would translate lazy strings while the app registry is still loading.
AREA_LABELS = {
    Area.SENSITIVE: pgettext_lazy("audit area", "Viewing and exporting"),
    Area.ACCOUNTS: pgettext_lazy("audit area", "Accounts and logins"),
    Area.ORGS: pgettext_lazy("audit area", "Organizations and regions"),
    Area.STATIONS: pgettext_lazy("audit area", "Stations"),
    Area.MEMBERS: pgettext_lazy("audit area", "Party members"),
    Area.CHECKINS: pgettext_lazy("audit area", "Check-ins"),
    Area.FLOATING: pgettext_lazy("audit area", "Floating members"),
    Area.LETTERS: pgettext_lazy("audit area", "Reminder letters"),
    Area.CAMPAIGNS: pgettext_lazy("audit area", "Return-to-ranks campaigns"),
    Area.TRANSFERS: pgettext_lazy("audit area", "Relationship transfers"),
    Area.IMPORTS: pgettext_lazy("audit area", "Imports"),
    Area.SYSTEM: pgettext_lazy("audit area", "System"),
}


class Disclosure(Enum):
    """Actions that let personal data leave the masked pages: they lead the filter."""

    REVEAL = "reveal"
    EXPORT = "export"


@dataclass(frozen=True)
class Action:
    """One audited action.

    `fields` maps a detail key to the model field that explains it: a field name of the
    entry's object ("close_reason"), or "app_label.model.field" for another model, or
    "app_label.ChoicesClass" for a code list defined in an app's models module. The field
    gives the key's label, the labels of codes, and the model of ids to resolve.
    `keys` labels detail keys that no field explains, `codes` labels the codes of a key no
    field declares. `variant` picks another label by one detail value. `diff` says the
    detail is {field: [old, new]}.
    """

    code: str
    label: Promise
    area: Area
    discloses: Disclosure | None = None
    variant: tuple[str, Mapping[Any, Promise]] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    keys: Mapping[str, Promise] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, Promise]] = field(default_factory=dict)
    diff: bool = False
    # False for actions that only a member's history holds (never written to the log).
    logged: bool = True

    @property
    def sensitive(self) -> bool:
        return self.discloses is not None

    @property
    def group(self) -> Area:
        return Area.SENSITIVE if self.sensitive else self.area

    def phrase(self, detail: Mapping[str, Any] | None = None) -> str:
        """The label, or its variant for this detail (an export in full or masked)."""
        if self.variant is not None and detail:
            key, labels = self.variant
            value = detail.get(key)
            if isinstance(value, bool | int | str) and value in labels:
                return str(labels[value])
        return str(self.label)


A = Area
REVEAL, EXPORT = Disclosure.REVEAL, Disclosure.EXPORT
# Keys several actions share: those of a list's export (heli.control.lists) and of batches.
ROWS = {"rows": _("rows"), "title": _("list"), "filter": _("filters")}
COUNT = {"count": _("number")}
# Login locks (heli.accounts.locks): a username at one address, or an address as a whole.
LOCK_DETAIL: dict[str, Any] = {
    "keys": {"username": _("username"), "address": _("address"), "kind": _("lock")},
    "codes": {
        "kind": {
            "pair": _("username at this address"),
            "address": _("every username from this address"),
        }
    },
}

_ACTIONS = [
    # Accounts and logins (the login signals and accounts.services)
    Action("login", _("Logged in"), A.ACCOUNTS),
    Action("login.failed", _("Failed login"), A.ACCOUNTS),
    Action("logout", _("Logged out"), A.ACCOUNTS),
    Action("account.create", _("Created account"), A.ACCOUNTS),
    Action("account.update", _("Changed account"), A.ACCOUNTS, diff=True),
    Action("account.password", _("Set a new password for an account"), A.ACCOUNTS),
    Action("account.role", _("Changed an account's role"), A.ACCOUNTS, diff=True),
    Action("account.password_change", _("Changed own password"), A.ACCOUNTS),
    Action("account.lock", _("Login locked"), A.ACCOUNTS, **LOCK_DETAIL),
    Action("account.unlock", _("Lifted a login lock"), A.ACCOUNTS, **LOCK_DETAIL),
    # Two-step verification (heli.accounts.twofactor)
    Action(
        "account.otp_enrol",
        _("Set up two-step verification"),
        A.ACCOUNTS,
        keys={"replaced": _("replaced the earlier authenticator")},
    ),
    Action("account.otp_verify", _("Passed two-step verification"), A.ACCOUNTS),
    Action(
        "account.otp_failed",
        _("Wrong two-step verification code"),
        A.ACCOUNTS,
        keys={"kind": _("kind of code")},
        codes={
            "kind": {
                "totp": _("authenticator code"),
                "recovery": _("recovery code"),
                "enrol": _("code confirming a new authenticator"),
            }
        },
    ),
    Action(
        "account.otp_recovery",
        _("Logged in with a recovery code"),
        A.ACCOUNTS,
        keys={"left": _("recovery codes left")},
    ),
    Action("account.otp_codes", _("Made new recovery codes"), A.ACCOUNTS),
    Action("account.otp_disable", _("Turned two-step verification off"), A.ACCOUNTS),
    Action("account.otp_reset", _("Reset an account's two-step verification"), A.ACCOUNTS),
    # Organizations and regions (orgs.services)
    Action("region.create", _("Created region"), A.ORGS, keys={"parent": _("higher level")}),
    Action("region.update", _("Changed region"), A.ORGS, diff=True),
    Action("region.move", _("Moved region"), A.ORGS),
    Action(
        "org.create", _("Created party organization"), A.ORGS, keys={"parent": _("higher level")}
    ),
    Action("org.update", _("Changed party organization"), A.ORGS, diff=True),
    Action("org.move", _("Moved party organization"), A.ORGS),
    Action(
        "org.export", _("Exported the party organization list"), A.ORGS, discloses=EXPORT, keys=ROWS
    ),
    # Stations (stations.services)
    Action("station.create", _("Created station"), A.STATIONS),
    Action("station.update", _("Changed station"), A.STATIONS, diff=True),
    Action("station.posters", _("Printed station posters"), A.STATIONS, keys=COUNT),
    Action(
        "station.export", _("Exported the station list"), A.STATIONS, discloses=EXPORT, keys=ROWS
    ),
    # Party members: members.services writes "member.<history action>", sensitive.reveal and
    # exporters the reveal and the export.
    Action("member.create", _("Registered a party member"), A.MEMBERS),
    Action("member.update", _("Changed a party member's record"), A.MEMBERS, diff=True),
    Action(
        "member.delete", _("Deleted a party member"), A.MEMBERS, fields={"reason": "deleted_reason"}
    ),
    Action("member.restore", _("Restored a deleted party member"), A.MEMBERS),
    Action("member.floating", _("Marked a party member as floating"), A.MEMBERS, diff=True),
    Action("member.returned", _("Marked a floating member as back"), A.MEMBERS, diff=True),
    Action(
        "member.transfer",
        _("Moved a member's relationship (transfer accepted)"),
        A.MEMBERS,
        diff=True,
        fields={"transfer": "transfers.transfer.serial"},
    ),
    Action(
        "member.generate",
        _("Generated as demo data"),
        A.MEMBERS,
        keys={"job": _("batch")},
        logged=False,
    ),
    Action("member.reveal", _("Viewed the full ID number and phone"), A.MEMBERS, discloses=REVEAL),
    Action(
        "member.export",
        _("Exported the party member roster"),
        A.MEMBERS,
        discloses=EXPORT,
        variant=(
            "unmasked",
            {
                True: _("Exported the party member roster (in full)"),
                False: _("Exported the party member roster (masked)"),
            },
        ),
        keys=ROWS,
    ),
    # heli.privacy: a person's record for their access request, anonymization past retention
    Action(
        "member.pipl_export",
        _("Exported a member's full record for their personal-information request"),
        A.MEMBERS,
        discloses=EXPORT,
        keys=ROWS,
    ),
    Action(
        "member.anonymize",
        _("Anonymized members past the retention period"),
        A.MEMBERS,
        keys={
            **COUNT,
            "members": _("members"),
            "deleted_before": _("deleted before"),
            "years": _("retention (years)"),
        },
    ),
    Action(
        "member.anonymized",
        _("Anonymized after the retention period"),
        A.MEMBERS,
        logged=False,
    ),
    Action(
        "member.lookup",
        _("Looked up a member by ID number or phone"),
        A.MEMBERS,
        keys={"kind": _("searched by"), "value": _("number searched"), "name": _("name given")},
        codes={
            "kind": {
                "id": _("whole ID number"),
                "phone": _("whole phone number"),
                "tail": _("last four digits"),
            }
        },
    ),
    # Imports (members.imports.pipeline; a member's history says "import" for each row)
    Action(
        "member.import",
        _("Imported members"),
        A.IMPORTS,
        keys={"job": _("import job"), "file": _("file")},
    ),
    # Check-ins (mobility.checkins)
    Action("checkin.create", _("Checked in at a station"), A.CHECKINS),
    Action("checkin.pending", _("Unknown person checked in (pending)"), A.CHECKINS),
    Action(
        "checkin.confirm",
        _("Confirmed a pending check-in"),
        A.CHECKINS,
        fields={"member": "mobility.checkin.member"},
    ),
    Action(
        "checkin.reject",
        _("Rejected a pending check-in"),
        A.CHECKINS,
        keys={"reason": _("reason for rejecting")},
    ),
    Action(
        "checkin.reveal",
        _("Opened a pending check-in's number in full"),
        A.CHECKINS,
        discloses=REVEAL,
    ),
    Action("checkin.export", _("Exported check-ins"), A.CHECKINS, discloses=EXPORT, keys=ROWS),
    # Self-reported check-ins decided by staff (mobility.self_reports)
    Action(
        "checkin.verify",
        _("Confirmed a self-reported check-in"),
        A.CHECKINS,
        fields={"source": "mobility.CheckInSource"},
    ),
    Action(
        "checkin.deny",
        _("Rejected a self-reported check-in as not the member"),
        A.CHECKINS,
        keys={"reason": _("reason for rejecting")},
    ),
    # Floating members (mobility.floating, mobility.nearby)
    Action("floating.register", _("Registered a floating member"), A.FLOATING),
    Action("floating.return", _("Registered a floating member's return"), A.FLOATING),
    Action(
        "floating.contact",
        _("Logged a contact with a floating member"),
        A.FLOATING,
        fields={"kind": "mobility.ContactKind"},
        keys={"kind": _("how the member was contacted")},
    ),
    Action("floating.duties", _("Named owners of a floating member's duties"), A.FLOATING),
    Action(
        "floating.confirm_inflow",
        _("Inflow side confirmed a floating member"),
        A.FLOATING,
        fields={"org": "inflow_org"},
    ),
    Action(
        "floating.join",
        _("Floating member joined a nearby branch"),
        A.FLOATING,
        fields={"org": "joined_org"},
    ),
    Action(
        "floating.temporary_branch",
        _("Formed a temporary branch"),
        A.FLOATING,
        keys={"members": _("members joining")},
    ),
    Action(
        "floating.reveal",
        _("Opened a floating member's contact phone in full"),
        A.FLOATING,
        discloses=REVEAL,
    ),
    Action(
        "floating.export", _("Exported floating members"), A.FLOATING, discloses=EXPORT, keys=ROWS
    ),
    Action(
        "floating.report",
        _("Downloaded the floating-member work report"),
        A.FLOATING,
        discloses=EXPORT,
        keys=ROWS,
    ),
    # Reminder letters (letters.services)
    Action("letter.issue", _("Issued a reminder letter"), A.LETTERS),
    Action("letter.send", _("Recorded a reminder letter as sent"), A.LETTERS),
    Action("letter.remind", _("Sent a reminder for a letter"), A.LETTERS),
    Action(
        "letter.close", _("Closed a reminder letter"), A.LETTERS, fields={"reason": "close_reason"}
    ),
    Action(
        "letter.cancel",
        _("Cancelled a reminder letter"),
        A.LETTERS,
        keys={"reason": _("reason for voiding")},
    ),
    Action("letter.download", _("Downloaded reminder letters"), A.LETTERS, discloses=EXPORT),
    Action(
        "letter.export", _("Exported the list of letters"), A.LETTERS, discloses=EXPORT, keys=ROWS
    ),
    Action(
        "letter.due_export",
        _("Exported the members due a letter"),
        A.LETTERS,
        discloses=EXPORT,
        keys=ROWS,
    ),
    # Notices of the daily tasks (mobility.notices, letters.reminders)
    Action(
        "notice.contact_run",
        _("Looked for members who crossed a lost-contact threshold"),
        A.FLOATING,
        keys={
            "since": _("from"),
            "through": _("through"),
            "skipped": _("without an organization"),
            "pruned": _("read notices removed"),
            "contact_warning": _("Contact warning"),
            "contact_lost": _("Lost contact"),
            "contact_lapse": _("Near six months without contact"),
        },
    ),
    Action(
        "notice.letter_run",
        _("Looked for overdue replies and members due a letter"),
        A.LETTERS,
        keys={
            "since": _("from"),
            "through": _("through"),
            "letter_due": _("A reminder letter is due"),
            "letter_overdue": _("A reminder letter's reply is overdue"),
        },
    ),
    Action(
        "notice.read", _("Marked notices read"), A.FLOATING, keys={"notices": _("notices"), **COUNT}
    ),
    # Return-to-ranks campaigns (campaigns.services, campaigns.exporters, the demo)
    Action(
        "campaign.open",
        _("Opened a return-to-ranks sweep"),
        A.CAMPAIGNS,
        keys={"tasks": _("tasks"), "lost": _("of them lost contact")},
    ),
    Action(
        "campaign.decide",
        _("Recorded the outcome of a sweep task"),
        A.CAMPAIGNS,
        fields={"address": "new_address", "on": "mobility.floatingrecord.ended_on"},
    ),
    Action("campaign.assign", _("Handed over a sweep task"), A.CAMPAIGNS),
    Action(
        "campaign.close",
        _("Closed a return-to-ranks sweep"),
        A.CAMPAIGNS,
        keys={"unfinished": _("unfinished tasks")},
    ),
    Action(
        "campaign.export", _("Exported a sweep report"), A.CAMPAIGNS, discloses=EXPORT, keys=ROWS
    ),
    Action(
        "campaign.list_export",
        _("Exported the list of sweeps"),
        A.CAMPAIGNS,
        discloses=EXPORT,
        keys=ROWS,
    ),
    # Relationship transfers (transfers.services: "transfer.<step>")
    Action(
        "transfer.apply",
        _("Applied for a relationship transfer"),
        A.TRANSFERS,
        fields={"to": "to_org_name"},
    ),
    Action(
        "transfer.register",
        _("Registered an incoming relationship transfer"),
        A.TRANSFERS,
        fields={"from": "from_org_name"},
    ),
    Action("transfer.approve", _("Approved a relationship transfer"), A.TRANSFERS),
    Action("transfer.reject", _("Refused a relationship transfer"), A.TRANSFERS),
    Action("transfer.cancel", _("Withdrew a relationship transfer"), A.TRANSFERS),
    Action("transfer.issue", _("Issued an introduction letter"), A.TRANSFERS),
    Action("transfer.accept", _("Accepted a relationship transfer"), A.TRANSFERS),
    Action("transfer.return", _("Returned a relationship transfer"), A.TRANSFERS),
    Action("transfer.expire", _("A relationship transfer expired"), A.TRANSFERS),
    Action("transfer.note", _("Recorded a step of an organization outside the zone"), A.TRANSFERS),
    # transfers.letter: the printed letter carries the full ID number (a reveal each opening).
    Action(
        "transfer.letter_print",
        _("Opened an introduction letter with the full ID number"),
        A.TRANSFERS,
        discloses=REVEAL,
        fields={"member": "transfers.transfer.member", "serial": "serial"},
    ),
    Action(
        "transfer.export",
        _("Exported relationship transfers"),
        A.TRANSFERS,
        discloses=EXPORT,
        keys=ROWS,
    ),
    # System
    Action("audit.export", _("Exported the audit log"), A.SYSTEM, discloses=EXPORT, keys=ROWS),
    Action(
        "demo.build", _("Built demo zone"), A.SYSTEM, keys={"seed": _("seed"), "grids": _("grids")}
    ),
    # heli backup / heli restore (core.backups)
    Action(
        "system.backup",
        _("Backed up the database"),
        A.SYSTEM,
        keys={"file": _("file"), "sha256": _("checksum"), "rows": _("rows")},
    ),
    Action(
        "system.restore",
        _("Restored the database from a backup"),
        A.SYSTEM,
        keys={
            "file": _("file"),
            "sha256": _("checksum"),
            "rows": _("rows"),
            "differences": _("tables that differ from the backup"),
        },
    ),
    # heli keys rotate: personal data re-encrypted under the current key (core.rotation).
    Action(
        "keys.rotate",
        _("Re-encrypted personal data under the current key"),
        A.SYSTEM,
        keys={
            "version": _("key version"),
            "rewritten": _("values re-encrypted"),
            "unreadable": _("values that do not decrypt"),
        },
    ),
]

ACTIONS: dict[str, Action] = {action.code: action for action in _ACTIONS}

# Kept for callers that only need code → label (the current audit page).
LABELS: dict[str, Promise] = {code: a.label for code, a in ACTIONS.items() if a.logged}


def get(code: str) -> Action | None:
    return ACTIONS.get(code)


def label(code: str, detail: Mapping[str, Any] | None = None) -> str:
    """The phrase of an action code (and detail); an unknown code is shown as it is."""
    action = ACTIONS.get(code)
    return action.phrase(detail) if action is not None else code


def _listed() -> list[Action]:
    """Logged actions in the filter's order: reveals, then exports, then the rest by area;
    within each, the registry's order (sorting is stable)."""
    disclosures = list(Disclosure)
    areas = list(Area)

    def place(action: Action) -> tuple[int, int]:
        if action.discloses is not None:
            return (0, disclosures.index(action.discloses))
        return (1 + areas.index(action.area), 0)

    return sorted((a for a in ACTIONS.values() if a.logged), key=place)


def sensitive_actions() -> list[str]:
    """Codes of every reveal and export, e.g. for a "viewing and exporting" filter."""
    return [action.code for action in _listed() if action.sensitive]


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every logged action as grouped choices (optgroups) for a select or a ChoiceField:
    viewing and exporting first (reveals, then exports), then one group per area."""
    groups: dict[Area, list[tuple[str, str]]] = {}
    for action in _listed():
        groups.setdefault(action.group, []).append((action.code, str(action.label)))
    return [(area.label, choices) for area, choices in groups.items()]
