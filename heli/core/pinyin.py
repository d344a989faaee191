"""Pinyin initials of Chinese names (崔桥村第1网格 → "cqcd1wg"), for search boxes where staff
type the first letters instead of switching to a Chinese input method.

One function, used wherever a searchable name is saved (organizations and regions today).
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache


@cache
def _first_letters():
    # pypinyin loads its dictionaries on import (about half a second): only a process that
    # saves a name pays for it, not every command or test run that starts Django.
    from pypinyin import Style
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin

    class Remembering(UltimateConverter):
        """pypinyin's own converter (the one lazy_pinyin builds on every call), converting
        each word of the segmentation once: a roster's 100,000 names share a few thousand
        characters, and converting them was most of an import's time."""

        @lru_cache(maxsize=65536)  # noqa: B019 (one instance, kept for the process)
        def _once(self, words: str, style, heteronym: bool, errors, strict: bool) -> tuple:
            converted = super().convert(words, style, heteronym, errors, strict)
            return tuple(tuple(pieces) for pieces in converted)

        def convert(self, words, style, heteronym, errors, strict, **kwargs):
            return [list(p) for p in self._once(words, style, heteronym, errors, strict)]

    pinyin = Pinyin(Remembering())
    return lambda text: pinyin.lazy_pinyin(text, style=Style.FIRST_LETTER)


@cache
def _dictionaries() -> tuple[dict[int, str], frozenset[str]]:
    """({code point: first letter of its first reading}, pypinyin's phrases)."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    letters = {
        code: unicodedata.normalize("NFKD", readings.split(",", 1)[0])[:1]
        for code, readings in PINYIN_DICT.items()
    }
    return letters, frozenset(PHRASES_DICT)


def _letters_without_phrases(text: str) -> str | None:
    """The first letters as pypinyin gives them, when it would read every character alone:
    no two or more characters of `text` form one of its phrases (a phrase can change a
    reading: 银行 is yín háng, not xíng). None when they do, or a character is unknown.

    pypinyin segments every text it converts; a name rarely holds a phrase (about one in a
    hundred), so most names take this way at a tenth of the cost."""
    letters, phrases = _dictionaries()
    n = len(text)
    for start in range(n - 1):
        for end in range(start + 2, n + 1):
            if text[start:end] in phrases:
                return None
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif (letter := letters.get(ord(ch))) is not None:
            out.append(letter)
        else:
            return None
    return "".join(out)


def load() -> None:
    """Load the dictionaries now (about 0.4 s) rather than on the first name: an import does
    it while the spreadsheet is read, before its check forks (pipeline)."""
    _dictionaries()
    _first_letters()


@lru_cache(maxsize=65536)  # rosters repeat names (张伟, 王芳) and places
def initials(name: str) -> str:
    """Lower-case first letter of the pinyin of each Chinese character; Latin letters and
    digits are kept as they are (lower-cased), everything else (spaces, punctuation) dropped.

    Full-width letters and digits count as their ASCII forms (NFKC), as typed on phones.
    """
    text = unicodedata.normalize("NFKC", name or "")
    if not text:
        return ""
    letters = _letters_without_phrases(text)
    if letters is None:
        letters = "".join(_first_letters()(text))
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())


ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # every character initials() keeps, in order


def prefix_range(field: str, prefix: str) -> dict[str, str]:
    """Filter keywords for "`field` starts with `prefix`" as an index range scan: SQLite uses no
    ordinary index for LIKE 'x%' (`__startswith`), but it does for >= and <.

    The upper bound is the next string over ALPHABET ("cqc" → "cqd", "d9" → "da", "az" → "b"),
    not prefix + "\\uffff": a locale collation on PostgreSQL may ignore such a character. Digits
    before letters, lower case only: the same order byte-wise and under locale collations.
    """
    if not prefix or any(ch not in ALPHABET for ch in prefix):
        raise ValueError(f"initials are made of {ALPHABET}: {prefix!r}")
    head = prefix.rstrip("z")
    if not head:
        return {f"{field}__gte": prefix}
    upper = head[:-1] + ALPHABET[ALPHABET.index(head[-1]) + 1]
    return {f"{field}__gte": prefix, f"{field}__lt": upper}


def as_initials(term: str) -> str | None:
    """A search term that could be typed initials ("cqc", "CQC", "d1wg"), normalized; None
    when it holds anything else (Chinese characters, spaces, punctuation)."""
    text = unicodedata.normalize("NFKC", term).strip().lower()
    return text if text and all(ch in ALPHABET for ch in text) else None
