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


def enrolled_device(user):
    """The user's confirmed TOTP device (one is created when they have none), as after an
    enrolment; the secret is random, so tests compute codes with `totp_code`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def totp_code(device) -> str:
    """The code an authenticator app shows now for `device`, or for the next time step when
    the current one was already used (django-otp accepts each step once, and one step ahead)."""
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step)
    step = max(now, device.last_t + 1)
    if step > now + device.tolerance:  # both steps used: wait for the next one
        time.sleep(device.t0 + (step - device.tolerance) * device.step - time.time() + 0.1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def log_in(client, username: str, password: str = "Test#2026pass", **options):
    """Log in through the login form and, for an account that must verify, its code page (a
    device made when it has none), as a person would; the answer to the last form (options go
    to the client's post, e.g. follow=True)."""
    from django.urls import reverse

    from heli.accounts import twofactor
    from heli.accounts.models import User

    user = User.objects.filter(username=username).first()
    device = enrolled_device(user) if user and twofactor.must_verify(user) else None
    response = client.post(
        reverse("login"), {"username": username, "password": password}, **options
    )
    if device is None or "_auth_user_id" not in client.session:
        return response
    return client.post(reverse("login_code"), {"code": totp_code(device)}, **options)
