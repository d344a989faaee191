"""The candidate count behind the mask tests, against brute force and the issue's figures."""

from __future__ import annotations

import datetime as dt
import itertools

from heli.members import idcard
from tests.reconstruct import CITY, Seen, candidates, month_of, year_of

NUMBER = idcard.make("320404", dt.date(1985, 3, 12), 799)  # …7994 with its check code
BORN = dt.date(1985, 3, 12)


def _brute_force(seen: Seen) -> int:
    count = 0
    for county, day, sequence in itertools.product(range(100), seen.birth_days, range(1000)):
        first17 = f"{CITY}{county:02d}{day:%Y%m%d}{sequence:03d}"
        number = first17 + idcard.check_code(first17)
        if seen.gender and idcard.gender(number) != seen.gender:
            continue
        if all(s in ("*", n) for s, n in zip(seen.shown, number, strict=True)):
            count += 1
    return count


def test_it_counts_as_brute_force_does():
    shown_tail = "*" * 14 + NUMBER[-4:]
    for seen in (
        Seen(shown_tail, (BORN,), "M"),
        Seen("*" * 16 + NUMBER[-2:], (BORN, BORN + dt.timedelta(days=1)), ""),
        Seen(NUMBER[:4] + "*" * 13 + NUMBER[-1], (BORN,), "F"),
    ):
        assert candidates(seen) == _brute_force(seen), seen


def test_the_old_mask_beside_a_birth_date_leaves_about_nine():
    old_mask = NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    assert 5 <= candidates(Seen(old_mask, (BORN,), idcard.gender(NUMBER))) <= 12


def test_a_year_month_and_the_last_two_characters_leave_more_than_ten_thousand():
    seen = Seen("*" * 16 + NUMBER[-2:], month_of(BORN), idcard.gender(NUMBER))
    assert candidates(seen) >= 10_000
    assert candidates(Seen("*" * 14 + NUMBER[-4:], month_of(BORN), "")) < 10_000
    assert candidates(Seen("*" * 14 + NUMBER[-4:], year_of(BORN), "")) < 10_000
