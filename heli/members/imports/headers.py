"""Recognising a roster's header row (表头): the template's own headers, the variants real
rosters use for the same data, and the choices a user made on the page for the rest.

Nothing is dropped silently: a header cell that is neither known nor mapped is an *unknown
column*, and a file with one cannot be checked until the user maps it to a field or marks it
ignored (the job waits in NEEDS_SETUP). Those choices are remembered per organization
(HeaderMapping), so the next roster of the same shape goes straight through.

Headers are compared after `normalize_header`: spaces anywhere, a trailing required-mark * and
full-width brackets do not count, and a bracketed note at the end ("联系电话（手机）",
"身份证号码(18位)") is tried without it too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from heli.members.imports.columns import COLUMNS, HEADER_OF

# Variants of each field's header seen in real rosters: exports of 全国党员管理信息系统, the
# registers towns and branches keep, and the template's own header (first). Every variant is
# listed once; `test_headers` proves there are no clashes between fields.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "党员姓名", "名字"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间", "生日"),
    "id_number": (
        "公民身份号码", "身份证号", "身份证号码", "公民身份证号码", "公民身份证号", "身份证",
        "证件号码", "居民身份证号码",
    ),
    "phone": ("手机号码", "手机", "手机号", "联系电话", "联系方式", "电话", "电话号码", "移动电话"),
    "education": ("学历", "文化程度", "最高学历", "学历学位"),
    "joined_on": (
        "入党日期", "入党时间", "入党年月", "加入党组织日期", "接收预备党员日期",
    ),
    "membership": ("党员类别", "人员类别", "党员类型", "党员身份", "正式/预备"),
    "full_on": ("转正日期", "转正时间", "转正年月", "转为正式党员日期", "转正"),
    "org": (
        "组织关系所在党组织", "所在支部", "所在党支部", "所在党组织", "党组织", "所属党组织",
        "所属支部", "所属党支部", "党支部", "党组织名称", "支部名称", "组织关系所在支部",
    ),
    "residence_grid": ("居住网格", "所在网格", "网格", "所属网格"),
    "employer": ("工作单位", "单位", "工作单位及职务", "单位名称", "现工作单位"),
    "industry_chain": ("所属产业链", "产业链", "产业链党组织"),
    "occupation": ("职业类别", "职业", "工作岗位", "从业类别"),
    "status": ("党员状态", "状态"),
    "reported_to": ("报到社区", "报到村（社区）", "报到村社区", "报到的村（社区）"),
    "reported_on": ("报到日期", "报到时间"),
    "floating_direction": ("流动方向", "流向"),
    "floating_place": ("流出/流入地", "流出地/流入地", "流动地点", "外出地点", "流出地", "流入地"),
    "floating_since": ("流动开始日期", "外出时间", "流出日期", "流动日期", "外出日期"),
    "notes": ("备注", "说明"),
}  # fmt: skip

# A title, the organization, the filter and the date may stand above an export's header: the
# header is looked for this far down.
HEADER_SEARCH_ROWS = 10
# A row recognising fewer columns than this is not taken for a header, whatever else it holds.
HEADER_MIN_KNOWN = 3
IGNORE = ""  # the field a user maps a column to when it should be left out
BRACKETED_END = re.compile(r"[(（][^()（）]*[)）]$")


def normalize_header(cell: object) -> str:
    """Spaces around and inside, and a trailing required-mark *, do not count."""
    text = re.sub(r"\s+", "", str(cell if cell is not None else ""))
    return text.rstrip("*＊").replace("(", "（").replace(")", "）")


def _known() -> dict[str, str]:
    known: dict[str, str] = {}
    for key, variants in ALIASES.items():
        for variant in variants:
            known[normalize_header(variant)] = key
    return known


KNOWN = _known()


def field_of(header: str, mapping: dict[str, str] | None = None) -> str | None:
    """The field a normalized header means: the user's mapping first (IGNORE included), then
    the aliases, then the aliases without a bracketed note at the end; None when unknown."""
    if mapping and header in mapping:
        return mapping[header]
    key = KNOWN.get(header)
    if key is None and BRACKETED_END.search(header):
        key = KNOWN.get(BRACKETED_END.sub("", header))
    return key


def suggest(header: str) -> str:
    """The field whose known header is closest to `header` ("" when none is close): a hint on
    the page and in the report, never applied without the user."""
    close = difflib.get_close_matches(header, list(KNOWN), n=1, cutoff=0.5)
    if close:
        return KNOWN[close[0]]
    # Rosters add words around a known header ("本人手机号码", "党员入党时间（年月）").
    for variant, key in sorted(KNOWN.items(), key=lambda item: -len(item[0])):
        if len(variant) >= 2 and variant in header:
            return key
    return ""


@dataclass
class HeaderMatch:
    """What a header row says: where each field is, what is not recognised, what is missing."""

    positions: dict[str, int] = field(default_factory=dict)
    # (position, header as written, suggested field or "") of each unrecognised header.
    unknown: list[tuple[int, str, str]] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)  # positions the user chose to leave out
    twice: list[str] = field(default_factory=list)  # template headers of fields given twice
    # {normalized header: field or IGNORE} of the headers read through the user's mapping.
    mapped: dict[str, str] = field(default_factory=dict)
    width: int = 0

    @property
    def missing(self) -> list[str]:
        return [c.key for c in COLUMNS if c.required and c.key not in self.positions]

    @property
    def known(self) -> int:
        return len(self.positions) + len(self.twice)


def match_header(cells: list[object], mapping: dict[str, str] | None = None) -> HeaderMatch:
    """Read one row as a header. Never raises: `missing`, `twice` and `unknown` say what is
    wrong, and the caller decides whether the user can fix it on the page."""
    match = HeaderMatch(width=len(cells))
    for index, cell in enumerate(cells):
        header = normalize_header(cell)
        if not header:
            continue
        key = field_of(header, mapping)
        if mapping and header in mapping:
            match.mapped[header] = key
        if key is None:
            match.unknown.append((index, str(cell).strip(), suggest(header)))
        elif key == IGNORE:
            match.ignored.append(index)
        elif key in match.positions:
            match.twice.append(HEADER_OF[key])
        else:
            match.positions[key] = index
    return match
