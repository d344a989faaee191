"""Code lists of the member record. Ethnic groups use their official names as values."""

from django.db import models
from django.utils.translation import gettext_lazy as _

ETHNIC_GROUPS = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族",
    "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族",
    "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族",
    "基诺族",
]  # fmt: skip
ETHNICITY_CHOICES = [(name, name) for name in ETHNIC_GROUPS]


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("Doctorate")
    MASTER = "master", _("Master's degree")
    BACHELOR = "bachelor", _("Bachelor's degree")
    COLLEGE = "college", _("College (dazhuan)")
    VOCATIONAL = "vocational", _("Secondary vocational school")
    HIGH_SCHOOL = "high_school", _("High school")
    JUNIOR = "junior", _("Junior middle school or below")


class Membership(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class Occupation(models.TextChoices):
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    INSTITUTION = "institution", _("Public institution staff")
    MANAGER = "manager", _("Enterprise manager")
    PROFESSIONAL = "professional", _("Professional and technical staff")
    WORKER = "worker", _("Worker")
    FARMER = "farmer", _("Farmer")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    COURIER = "courier", _("Courier")
    RIDER = "rider", _("Delivery rider")
    STREAMER = "streamer", _("Live-streamer")
    STUDENT = "student", _("Student")
    RETIRED = "retired", _("Retired")
    OTHER = "other", _("Other")


NEW_EMPLOYMENT_GROUPS = (Occupation.COURIER, Occupation.RIDER, Occupation.STREAMER)


class MemberStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    FLOATING = "floating", _("Floating")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    DECEASED = "deceased", _("Deceased")
    LAPSED = "lapsed", _("Lapsed")


ACTIVE_STATUSES = (MemberStatus.NORMAL, MemberStatus.FLOATING)


class FloatingDirection(models.TextChoices):
    OUT = "out", _("Outflow")
    IN = "in", _("Inflow")
