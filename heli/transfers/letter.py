"""What the introduction letter (组织关系介绍信) prints: dates in the official Chinese form and
the member's particulars as of the day of issue.

The printed letter is an official document handed to the member: the receiving organization
checks the person against it, so it carries the full ID number. Only the issuing side prints
it, and only people who may see ID numbers (VIEW_SENSITIVE, e.g. the issuing branch's
secretary): each opening is a reveal, audited as `transfer.letter_print`. Everyone else who
sees the transfer (its grid worker, the receiving side, which gets the paper letter) reads a
masked preview that cannot be printed.
"""

from __future__ import annotations

import datetime as dt

from heli.accounts.roles import Right
from heli.audit.services import Actor, record
from heli.core import sealed
from heli.core.scoping import Scope
from heli.transfers.models import Transfer


def chinese_date(day: dt.date | None) -> str:
    """2026年12月26日: the form letters use, whatever the interface language."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def may_print(user, scope: Scope, transfer: Transfer) -> bool:
    """The user prints the letter with the full ID number: it is issued, the user may see ID
    numbers, and the issuing organization is theirs (or below theirs)."""
    issuer = transfer.issuing_org or transfer.from_org
    return (
        transfer.issued_on is not None
        and issuer is not None
        and not issuer.is_external
        and user.can(Right.VIEW_SENSITIVE)
        and scope.covers_org(issuer.path)
    )


def print_id_number(actor: Actor, transfer: Transfer) -> str:
    """The member's full ID number for the printed letter, audited every time (a reveal;
    the number itself never goes into the log)."""
    record(
        actor,
        "transfer.letter_print",
        transfer,
        detail={"member": transfer.member_id, "serial": transfer.serial or ""},
    )
    return sealed.readable(transfer.member, "id_cipher")


def letter_context(transfer: Transfer, id_number: str = "") -> dict:
    """The fields of the three parts (存根, 介绍信, 回执), from the transfer's own data; the ID
    number in full when given (a print), else masked."""
    member = transfer.member
    day = transfer.issued_on
    return {
        "issued": day is not None,
        "serial": transfer.serial or transfer.external_serial,
        "issued_on": chinese_date(day),
        "valid_until": chinese_date(transfer.valid_until),
        "valid_days": (transfer.valid_until - day).days if day and transfer.valid_until else None,
        "received_on": chinese_date(transfer.received_on),
        "age": age_on(member.birth_date, day) if day else None,
        "member": member,
        "id_number": id_number or member.id_mask,
        "unmasked": bool(id_number),
        "issuer": transfer.issuing_org.name if transfer.issuing_org else transfer.from_org_name,
    }
