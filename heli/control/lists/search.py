"""Searching a list for people: by name, by pinyin initials (张伟 by `zw`), and by an ID number
or phone, whole or its last four digits.

Names travel in the URL (`?q=张`), numbers never: the filter form is POSTed, a number in it is
turned into its keyed digests, kept in the session under a random token, and the list is
redirected to `?find=<token>`. So numbers stay out of URLs, browser history and access logs.
Every number search is rate limited per user and audited (`member.lookup`, masked value); a
user who may not see numbers in full must give the name too when searching by a whole number,
so that the search cannot serve to confirm a guessed number (the masking rule).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from heli.audit.services import Actor, record
from heli.core import crypto, ratelimit
from heli.core.pinyin import as_initials, prefix_range
from heli.members import sensitive
from heli.members.models import Member

SESSION_KEY = "heli_finds"
KEEP_FINDS = 20
# A term is a number search when it is a number, or a name and a number side by side.
_DIGITS = r"[0-9０-９][0-9０-９\s\-]*[0-9０-９xX]"
NAME_THEN_NUMBER = re.compile(rf"^(?P<name>[^0-9０-９]*?)\s*(?P<number>{_DIGITS})$")
NUMBER_THEN_NAME = re.compile(rf"^(?P<number>{_DIGITS})\s+(?P<name>[^0-9０-９]+)$")


@dataclass(frozen=True)
class Find:
    """A number search, as kept in the session: digests only, and a mask to show."""

    kind: str  # "id", "phone" or "tail"
    digests: tuple[str, ...]
    mask: str

    def q(self, prefix: str) -> Q:
        if self.kind == "id":
            return Q(**{f"{prefix}id_digest": self.digests[0]})
        if self.kind == "phone":
            return Q(**{f"{prefix}phone_digest": self.digests[0]})
        id_tail, phone_tail = self.digests
        condition = Q(**{f"{prefix}id_tail_digest": id_tail})
        if phone_tail:
            condition |= Q(**{f"{prefix}phone_tail_digest": phone_tail})
        return condition

    def to_json(self) -> dict:
        return {"kind": self.kind, "digests": list(self.digests), "mask": self.mask}

    @classmethod
    def from_json(cls, data: dict) -> Find | None:
        try:
            return cls(data["kind"], tuple(data["digests"]), data["mask"])
        except (KeyError, TypeError):
            return None


def split_term(term: str) -> tuple[str, str]:
    """(the name part, the number part) of what was typed: "张伟 1234" → ("张伟", "1234")."""
    term = term.strip()
    match = NAME_THEN_NUMBER.match(term) or NUMBER_THEN_NAME.match(term)
    if match is None or sum(ch.isdigit() for ch in match.group("number")) < 3:
        return term, ""
    return " ".join(match.group("name").split()), match.group("number")


def _normalize(number: str) -> str:
    table = str.maketrans("０１２３４５６７８９", "0123456789")
    return re.sub(r"[\s\-]", "", number.translate(table)).upper()


def find_for(number: str) -> Find:
    """The Find for a typed number; ValidationError when it is neither a whole ID number or
    phone nor the last four digits."""
    value = _normalize(number)
    if re.fullmatch(r"[0-9]{3}[0-9X]", value):
        id_tail = sensitive.tail_digest(sensitive.ID_PURPOSE, value)
        # A phone has no X: a tail with one can only be an ID number's.
        phone_tail = ""
        if value.isdigit():
            phone_tail = sensitive.tail_digest(sensitive.PHONE_PURPOSE, value)
        return Find("tail", (id_tail, phone_tail), "****" + value)
    if len(value) == 11 and value.isdigit():
        digest = sensitive.phone_digest_of(value)
        if digest:
            return Find("phone", (digest,), crypto.mask_phone(value))
    if len(value) in (15, 18):
        digest = sensitive.id_digest_of(value)
        if digest:
            return Find("id", (digest,), crypto.mask_id(value))
        raise ValidationError(_("The ID number is not valid: check it and search again."))
    raise ValidationError(
        _("Search by a whole ID number, a whole mobile number, or their last four digits.")
    )


def start_find(request, number: str, name: str) -> str:
    """Check, rate-limit, audit and keep a number search; returns the token for the URL."""
    find = find_for(number)
    user = request.user
    if find.kind != "tail" and not sensitive.can_reveal(user) and not name:
        raise ValidationError(
            _("To search by a whole ID number or phone, type the person's name with it.")
        )
    if not ratelimit.hit(
        f"lookup:{user.pk}", settings.HELI_LOOKUP_LIMIT, settings.HELI_LOOKUP_WINDOW_SECONDS
    ):
        raise ValidationError(_("Too many number searches in a short time: wait a few minutes."))
    record(
        Actor.from_request(request),
        "member.lookup",
        detail={"kind": find.kind, "value": find.mask, "name": name},
    )
    return remember(request.session, find)


def remember(session: SessionBase, find: Find) -> str:
    token = secrets.token_urlsafe(9)
    finds = dict(session.get(SESSION_KEY, {}))
    finds[token] = find.to_json()
    session[SESSION_KEY] = dict(list(finds.items())[-KEEP_FINDS:])
    return token


def recall(session: SessionBase | None, token: str) -> Find | None:
    if session is None or not token:
        return None
    data = session.get(SESSION_KEY, {}).get(token)
    return Find.from_json(data) if data else None


def name_q(
    prefix: str, term: str, extra_fields: tuple[str, ...] = (), prefix_fields: tuple[str, ...] = ()
) -> Q:
    """A person found by what their name starts with, or by their pinyin initials when the term
    is latin letters only, or by what one of `prefix_fields` of theirs starts with; or a row
    whose `extra_fields` contain the term. Prefixes, not substrings: each is a range on an
    index (`__prefix`, `prefix_range`), where `LIKE '%…%'` reads every member.

    `prefix` is the path to the member from the rows listed ("member__"): the members are then
    found through their own indexes and the rows by their member (`member_id IN (…)`); the
    same condition across the join would read every row of the list."""
    first, *others = person_arms(term, prefix_fields)
    person = first
    for arm in others:
        person |= arm
    if prefix:
        # Unscoped: it only narrows rows the list's own scoped queryset already selected.
        condition = Q(**{f"{prefix}in": Member.unscoped.filter(person).values("pk")})
    else:
        condition = person
    text = " ".join(unicodedata.normalize("NFKC", term).split())
    for name in extra_fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def person_arms(term: str, prefix_fields: tuple[str, ...] = ()) -> list[Q]:
    """The conditions `name_q` joins with OR, each answered by one index: what the name starts
    with, the pinyin initials (latin letters only), what each of `prefix_fields` starts with."""
    text = " ".join(unicodedata.normalize("NFKC", term).split())
    arms = [Q(name__prefix=text)]
    letters = as_initials(text)
    if letters:
        arms.append(Q(**prefix_range("name_initials", letters)))
    arms.extend(Q(**{f"{name}__prefix": text}) for name in prefix_fields)
    return arms
