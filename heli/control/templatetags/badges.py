"""`{% letter_badge letter %}`, `{% transfer_badge transfer %}`: the badges of heli.control.badges
on the detail pages, the same markup as the lists'."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from heli.control import badges

register = template.Library()


@register.simple_tag
def letter_badge(letter) -> SafeString:
    return badges.letter_status(letter)


@register.simple_tag
def transfer_badge(transfer) -> SafeString:
    return badges.transfer_status(transfer.status, transfer.get_status_display())
