"""The columns of the import template and how a file's header row is matched to them.

Headers are the template's Chinese texts whatever the page language: they are a file format
that offices fill in and pass around, not interface text. Choice columns accept the Chinese
label as the zh_Hans catalogue translates it, and the stored code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from heli.members.choices import (
    ETHNIC_GROUPS,
    Education,
    FloatingDirection,
    Gender,
    Membership,
    MemberStatus,
    Occupation,
)


@dataclass(frozen=True)
class Column:
    key: str  # the Member field (id_number and phone are the plain inputs of the ciphers)
    header: str
    required: bool = False
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "张伟"),
    Column("gender", "性别", False, "男"),
    Column("ethnicity", "民族", True, "汉族"),
    Column("birth_date", "出生日期", True, "1985-06-15"),
    Column("id_number", "公民身份号码", True, "320411198506150017"),
    Column("phone", "手机号码", False, "13812345678"),
    Column("education", "学历", True, "大学本科"),
    Column("joined_on", "入党日期", True, "2010-07-01"),
    Column("membership", "党员类别", False, "正式党员"),
    Column("full_on", "转正日期", False, "2011-07-01"),
    Column("org", "组织关系所在党组织", True, "崔桥村第1网格党支部"),
    Column("residence_grid", "居住网格", False, "崔桥村第1网格"),
    Column("employer", "工作单位", False, "常州某家居有限公司"),
    Column("industry_chain", "所属产业链", False, ""),
    Column("occupation", "职业类别", False, "工人"),
    Column("status", "党员状态", False, "正常"),
    Column("reported_to", "报到社区", False, ""),
    Column("reported_on", "报到日期", False, ""),
    Column("floating_direction", "流动方向", False, ""),
    Column("floating_place", "流出/流入地", False, ""),
    Column("floating_since", "流动开始日期", False, ""),
    Column("notes", "备注", False, ""),
)
BY_KEY = {c.key: c for c in COLUMNS}
HEADER_OF = {c.key: c.header for c in COLUMNS}

# Headers offices commonly use for the same data in their own sheets.
ALIASES = {
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份证号码": "id_number",
    "手机": "phone",
    "手机号": "phone",
    "联系电话": "phone",
    "所在党组织": "org",
    "所在党支部": "org",
    "党组织": "org",
    "流出地/流入地": "floating_place",
}

# A title, the organization, the filter and the date may stand above an export's header: the
# header is looked for this far down.
HEADER_SEARCH_ROWS = 10
DATE_COLUMNS = ("birth_date", "joined_on", "full_on", "reported_on", "floating_since")
MAX_LENGTHS = {"name": 50, "employer": 150, "floating_place": 150}


class HeaderError(ValueError):
    """The header row cannot be used (a file-level problem: nothing is checked further).
    `known` counts the template's columns the row did hold: the reader tells the problem of
    the row that came closest to a header."""

    def __init__(self, message: str, known: int = 0):
        super().__init__(message)
        self.known = known


def normalize_header(cell: object) -> str:
    """Spaces around and inside, and a trailing required-mark *, do not count."""
    text = re.sub(r"\s+", "", str(cell if cell is not None else ""))
    return text.rstrip("*＊")


def match_header(cells: list[object]) -> dict[str, int]:
    """{column key: position} for the known columns of a header row; others are ignored.

    Raises HeaderError when a required column is missing or a column appears twice.
    """
    known = {c.header: c.key for c in COLUMNS} | ALIASES
    positions: dict[str, int] = {}
    twice: list[str] = []
    for index, cell in enumerate(cells):
        key = known.get(normalize_header(cell))
        if key is None:
            continue
        if key in positions:
            twice.append(HEADER_OF[key])
        positions[key] = index
    if twice:
        raise HeaderError(
            _("These columns appear more than once: %(columns)s. Keep one of each.")
            % {"columns": "、".join(twice)},
            known=len(positions) + len(twice),
        )
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise HeaderError(
            _(
                "The column headers of the template must be in one of the first %(n)d rows; "
                "these required columns are missing: %(columns)s."
            )
            % {"n": HEADER_SEARCH_ROWS, "columns": "、".join(missing)},
            known=len(positions),
        )
    return positions


# Short forms people type for education levels (the template lists the official labels).
EDUCATION_ALIASES = {
    "博士": Education.DOCTORATE,
    "硕士": Education.MASTER,
    "本科": Education.BACHELOR,
    "大学": Education.BACHELOR,
    "大专": Education.COLLEGE,
    "专科": Education.COLLEGE,
    "中专": Education.VOCATIONAL,
    "中职": Education.VOCATIONAL,
    "高中": Education.HIGH_SCHOOL,
    "初中": Education.JUNIOR,
}

CHOICE_CLASSES: dict[str, type[models.TextChoices]] = {
    "gender": Gender,
    "education": Education,
    "membership": Membership,
    "occupation": Occupation,
    "status": MemberStatus,
    "floating_direction": FloatingDirection,
}


def zh_labels(choices: type[models.TextChoices]) -> list[tuple[str, str]]:
    """(code, Chinese label) pairs, whatever language the caller runs in."""
    with translation.override("zh-hans"):
        return [(value, str(label)) for value, label in choices.choices]


@lru_cache(maxsize=1)
def choice_maps() -> dict[str, dict[str, str]]:
    """{column key: {accepted text: code}}, built once per process (the catalogue does not
    change while it runs). Codes are accepted in any letter case."""
    maps: dict[str, dict[str, str]] = {}
    for key, choices in CHOICE_CLASSES.items():
        accepted: dict[str, str] = {}
        for value, label in zh_labels(choices):
            accepted[label] = value
            accepted[value] = value
            accepted[value.lower()] = value
        maps[key] = accepted
    maps["education"] |= {k: str(v) for k, v in EDUCATION_ALIASES.items()}
    ethnic = {name: name for name in ETHNIC_GROUPS}
    # "汉" for 汉族: the names without 族 are unambiguous among the 56 groups.
    ethnic |= {name.removesuffix("族"): name for name in ETHNIC_GROUPS}
    maps["ethnicity"] = ethnic
    return maps


def allowed_text(key: str) -> str:
    """What to tell the user a choice column accepts."""
    if key == "ethnicity":
        return _("one of the 56 ethnic groups listed on the sheet 填写说明")
    return "、".join(label for _value, label in zh_labels(CHOICE_CLASSES[key]))
