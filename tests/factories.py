"""Factories that build valid trees (paths allocated as the services do)."""

from __future__ import annotations

import factory

from heli.accounts.models import User
from heli.accounts.roles import Role
from heli.core.tree import allocate_child_path
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region, RegionKind
from heli.stations.models import Station, StationKind


class TreeFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        node = model_class(*args, **kwargs)
        node.path, node.depth = allocate_child_path(model_class, node.parent)
        node.save()
        return node


class RegionFactory(TreeFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"区域{n}")
    kind = RegionKind.GRID


class PartyOrgFactory(TreeFactory):
    class Meta:
        model = PartyOrg

    name = factory.Sequence(lambda n: f"党组织{n}")
    level = OrgLevel.BRANCH
    category = OrgCategory.REGIONAL


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    name = factory.Sequence(lambda n: f"阵地{n}")
    kind = StationKind.GRID_STATION
    opening_hours = "周一至周五 8:30-17:30"
    services = "党员报到\n政策咨询"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.unscoped.create(*args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.GRID_WORKER
    password = factory.PostGenerationMethodCall("set_password", "Test#2026pass")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


_id_sequence = iter(range(1, 10**6))


def make_id_number(born=None, gender: str | None = None) -> str:
    """A valid, unused ID number; its 17th digit matches `gender` ('M' odd, 'F' even) when
    given, so that the member is plausible (services.check_consistency)."""
    import datetime as dt

    from heli.members import idcard

    born = born or dt.date(1985, 6, 15)
    n = next(_id_sequence)
    odd = gender == "M" if gender else n % 2
    return idcard.make(f"3204{n // 500 % 100:02d}", born, n % 500 * 2 + odd)


class MemberFactory(factory.django.DjangoModelFactory):
    """Members with valid, encrypted ID numbers (pass `id_number=` to choose one)."""

    class Meta:
        model = "members.Member"

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = "M"
    ethnicity = "汉族"
    birth_date = factory.LazyFunction(lambda: __import__("datetime").date(1985, 6, 15))
    education = "bachelor"
    joined_on = factory.LazyFunction(lambda: __import__("datetime").date(2010, 7, 1))
    # A full member a year after joining: a plausible record (services.check_consistency).
    full_on = factory.LazyFunction(lambda: __import__("datetime").date(2011, 7, 1))

    @classmethod
    def _create(cls, model_class, *args, id_number=None, phone="13812345678", **kwargs):
        from heli.core.sealed import ensure_pk
        from heli.members import sensitive

        member = model_class(*args, **kwargs)
        number = id_number or make_id_number(member.birth_date, member.gender)
        ensure_pk(member)  # the numbers are encrypted for the member's row
        sensitive.set_id_number(member, number)
        sensitive.set_phone(member, phone)
        member.save(force_insert=True)
        return member
