"""`{{ member|member_date:"joined_on" }}`: a member's date as pages show it, year-month
(2010-07) when it is known only to the month (heli.members.dates)."""

from __future__ import annotations

from django import template

from heli.members import dates

register = template.Library()


@register.filter
def member_date(member: object, field: str) -> str:
    return dates.shown(getattr(member, field), getattr(member, "month_dates", 0), field)


@register.filter
def month(day) -> str:
    """`{{ member.birth_date|month }}`: a date to the month, as beside a masked ID number."""
    return dates.month_text(day) if day else ""
