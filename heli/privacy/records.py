"""A member's full record for a personal-information access request (个人信息查阅、复制,
PIPL art. 45): one workbook with everything heli holds about the person.

Sheets: the personal details (ID number and phone in full), the history of the record, the
floating records and their timeline, check-ins, reminder letters and their events,
relationship transfers and their steps, sweep tasks and their events, and the audit entries
about the person or any of those records. The request is the person's, so the record holds
what every organization wrote about them, not only what the exporting user's scope shows;
the exporting user must see the member and hold VIEW_SENSITIVE. Staff addresses in the audit
log are not the person's data and stay out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from heli.accounts.roles import Right, require
from heli.audit import describe
from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.campaigns.models import CampaignTask, Outcome, TaskEvent
from heli.core import sealed
from heli.core.exporters import SheetInfo, Table, book_bytes
from heli.letters.models import LetterEvent, ReminderLetter
from heli.members.dates import BITS, member_date
from heli.members.models import Member
from heli.mobility.models import CheckIn, FloatingEvent, FloatingRecord
from heli.transfers.models import Transfer, TransferStep

# Fields of a member that are the stored forms of others (shown in full instead) or internal.
MEMBER_HIDDEN = {
    "id", "id_cipher", "id_digest", "id_mask", "id_tail_digest", "phone_cipher",
    "phone_digest", "phone_mask", "phone_tail_digest", "month_dates", "version",
    "name_initials", "anonymized_at",
}  # fmt: skip
FLOATING_FIELDS = (
    "direction", "status", "outflow_org", "inflow_org", "industry_chain", "place",
    "other_org_name", "other_contact", "since", "flow_range", "reason", "expected_months",
    "place_certain", "document", "occupation", "address", "grid", "card_number",
    "card_issued_on", "liaison", "inflow_confirmed_at", "joined_org", "joined_on",
    "last_contact_at", "ended_on",
)  # fmt: skip
LETTER_FIELDS = (
    "number", "status", "issuing_org", "addressee", "issued_on", "sent_on",
    "expected_reply_on", "reminder_count", "closed_at", "close_reason", "close_note",
)  # fmt: skip
TRANSFER_FIELDS = (
    "serial", "kind", "from_org_name", "to_org_name", "to_place", "flow_range", "reason",
    "status", "issued_on", "valid_until", "received_on", "closing_reason", "created_at",
    "closed_at",
)  # fmt: skip
TASK_FIELDS = ("campaign", "grid", "was_lost", "outcome", "new_address", "note", "done_at")


def _label(model: type[models.Model], name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _verbose(model: type[models.Model]) -> str:
    return str(capfirst(model._meta.verbose_name))


def _value(obj: models.Model, name: str) -> Any:
    """A field as a person reads it: a code by its label, an object by its name, yes/no."""
    field = obj._meta.get_field(name)
    if field.choices:
        return getattr(obj, f"get_{name}_display")()
    value = getattr(obj, name)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, models.Model):
        return getattr(value, "name", None) or str(value)
    if isinstance(value, dt.date) and isinstance(obj, Member):
        return member_date(obj, name) if name in BITS else value
    return value


def _full(obj: models.Model, attname: str) -> str:
    return sealed.readable(obj, attname) if getattr(obj, attname) else ""


def _table(title: str, model: type[models.Model], names: Sequence[str], objects, *extra) -> Table:
    """A sheet of `objects` with the columns `names`, then `extra` (header, function) pairs."""
    header = [_label(model, n) for n in names] + [str(h) for h, _f in extra]
    rows = ([_value(o, n) for n in names] + [f(o) for _h, f in extra] for o in objects)
    return Table(title, header, rows)


def _details(member: Member) -> Table:
    rows: list[list[Any]] = [
        [_("ID number"), _full(member, "id_cipher")],
        [_("Phone"), _full(member, "phone_cipher")],
    ]
    stamps = {
        "created_at": _("Registered at"),
        "updated_at": _("Last changed at"),
        "deleted_at": _("Deleted at"),
        "deleted_by": _("Deleted by"),
    }
    for field in member._meta.concrete_fields:
        if field.name not in MEMBER_HIDDEN:
            label = stamps.get(field.name) or _label(Member, field.name)
            rows.append([label, _value(member, field.name)])
    chain = [org.name for org in member.org.ancestors()] + [member.org.name]
    rows.append([_("Organization and those above it"), " › ".join(chain)])
    return Table(_("Personal details"), [_("Field"), _("Value")], rows)


def _history(member: Member) -> Table:
    changes = member.changes.order_by("at", "id")
    rows = ([c.at, c.username, c.phrase, c.sentence] for c in changes)
    return Table(_("History"), [_("Time"), _("By"), _("Action"), _("Detail")], rows)


def _events(title: str, owner: str, events: Iterable[Any], what) -> Table:
    rows = ([owner_of, e.at, e.username, _event_label(e), what(e)] for owner_of, e in events)
    return Table(title, [owner, _("Time"), _("By"), _("Action"), _("Detail")], rows)


def _event_label(event: Any) -> str:
    """A history row's action; a sweep task's event by its outcome or as a hand-over."""
    if isinstance(event, TaskEvent):
        if event.kind == "assigned":
            return _("Handed over a sweep task")
        return str(Outcome(event.outcome).label) if event.outcome in Outcome.values else event.kind
    return event.label


def _audit(member: Member, related: dict[str, list[int]]) -> Table:
    """Entries about the member or one of their records, oldest first."""
    about = models.Q(object_type="members.member", object_id=str(member.pk))
    for label, ids in related.items():
        if ids:
            about |= models.Q(object_type=label, object_id__in=[str(i) for i in ids])
    entries = describe.annotate(AuditEntry.unscoped.filter(about).order_by("at", "id"))
    rows = ([e.at, e.username, e.action_label, e.object_repr, e.detail_text] for e in entries)
    header = [_("Time"), _("By"), _("Action"), _("Object"), _("Detail")]
    return Table(_("Audit log"), header, rows)


def sheets(member: Member) -> list[Table]:
    """Every part of the person's record, one sheet each."""
    floating = list(FloatingRecord.unscoped.filter(member=member).order_by("since", "id"))
    letters = list(ReminderLetter.unscoped.filter(member=member).order_by("created_at", "id"))
    transfers = list(Transfer.unscoped.filter(member=member).order_by("created_at", "id"))
    tasks = list(
        CampaignTask.unscoped.filter(member=member)
        .select_related("campaign", "grid")
        .order_by("id")
    )
    check_ins = CheckIn.unscoped.filter(member=member).select_related("station").order_by("at")
    places = {f.pk: f"{f.get_direction_display()} · {f.place}" for f in floating}
    floating_events = FloatingEvent.objects.filter(record__in=floating).order_by("at", "id")
    letter_events = LetterEvent.objects.filter(letter__in=letters).select_related("letter")
    steps = TransferStep.objects.filter(transfer__in=transfers).select_related("transfer")
    task_events = TaskEvent.objects.filter(task__in=tasks).select_related("task__campaign")
    return [
        _details(member),
        _history(member),
        _table(
            _("Floating records"),
            FloatingRecord,
            FLOATING_FIELDS,
            floating,
            (_("Contact phone"), lambda f: _full(f, "contact_phone_cipher")),
        ),
        _events(
            _("Floating timeline"),
            _verbose(FloatingRecord),
            ((places[e.record_id], e) for e in floating_events),
            lambda e: " · ".join(e.details),
        ),
        _table(
            _("Check-ins"),
            CheckIn,
            ("day", "at", "station", "source"),
            check_ins,
        ),
        _table(_("Reminder letters"), ReminderLetter, LETTER_FIELDS, letters),
        _events(
            _("Letter events"),
            _verbose(ReminderLetter),
            ((e.letter.number, e) for e in letter_events.order_by("at", "id")),
            lambda e: e.note,
        ),
        _table(_("Relationship transfers"), Transfer, TRANSFER_FIELDS, transfers),
        _events(
            _("Transfer steps"),
            _verbose(Transfer),
            ((s.transfer.serial or s.transfer.to_org_name, s) for s in steps.order_by("at", "id")),
            lambda s: " · ".join(v for v in (s.org_name, s.note) if v),
        ),
        _table(
            _("Sweep tasks"),
            CampaignTask,
            TASK_FIELDS,
            tasks,
            (_("New phone"), lambda t: _full(t, "new_phone_cipher")),
        ),
        _events(
            _("Sweep task events"),
            _label(CampaignTask, "campaign"),
            ((e.task.campaign.name, e) for e in task_events.order_by("at", "id")),
            lambda e: " · ".join(str(v) for v in e.detail.values() if v),
        ),
        _audit(
            member,
            {
                "mobility.floatingrecord": [f.pk for f in floating],
                "mobility.checkin": [c.pk for c in check_ins],
                "letters.reminderletter": [x.pk for x in letters],
                "transfers.transfer": [t.pk for t in transfers],
                "campaigns.campaigntask": [t.pk for t in tasks],
            },
        ),
    ]


def export(actor: Actor, member: Member) -> tuple[bytes, str]:
    """The workbook and its file name; audited as `member.pipl_export` with the rows given."""
    require(actor.user, Right.VIEW_SENSITIVE)
    parts = sheets(member)
    now = timezone.localtime()
    info = SheetInfo(
        _("Personal information held about %(name)s") % {"name": member.name},
        (
            _("Copy for a personal-information access request, made %(time)s by %(user)s.")
            % {"time": now.strftime("%Y-%m-%d %H:%M"), "user": actor.username},
        ),
    )
    body = book_bytes(parts, info)
    rows = sum(len(part) for part in parts)
    record(actor, "member.pipl_export", member, detail={"rows": rows})
    name = _("Personal information of %(name)s %(date)s.xlsx") % {
        "name": member.name,
        "date": now.strftime("%Y-%m-%d"),
    }
    return body, name
