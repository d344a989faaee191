"""What the introduction letter (组织关系介绍信) prints: dates in the official Chinese form and
the member's particulars as of the day of issue."""

from __future__ import annotations

import datetime as dt

from heli.transfers.models import Transfer


def chinese_date(day: dt.date | None) -> str:
    """2026年12月26日: the form letters use, whatever the interface language."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def letter_context(transfer: Transfer) -> dict:
    """The fields of the three parts (存根, 介绍信, 回执), from the transfer's own data."""
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
        "issuer": transfer.issuing_org.name if transfer.issuing_org else transfer.from_org_name,
    }
