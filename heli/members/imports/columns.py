"""The columns of the import template (how a file's header row is matched to them is
`headers`).

Headers are the template's Chinese texts whatever the page language: they are a file format
that offices fill in and pass around, not interface text. Choice columns accept the Chinese
label as the zh_Hans catalogue translates it, and the stored code.
"""

from __future__ import annotations

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
EXAMPLE_ID = BY_KEY["id_number"].example  # the template's example row: never imported
HEADER_OF = {c.key: c.header for c in COLUMNS}

DATE_COLUMNS = ("birth_date", "joined_on", "full_on", "reported_on", "floating_since")
MAX_LENGTHS = {"name": 50, "employer": 150, "floating_place": 150}


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
