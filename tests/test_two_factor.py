"""Two-factor login (issue #10, part 11): TOTP through django-otp, required for district and town
administrators and every role that can reveal unmasked data (roles.requires_second_factor),
optional for the others; recovery codes; enrolment, use, failures and resets audited."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from heli.accounts.roles import ADMIN_ROLES, Right, Role, requires_second_factor, rights_of
from heli.audit.models import AuditEntry
from tests.factories import enrolled_device, totp_code

PASSWORD = "Test#2026pass"
CODE_PAGE = reverse("login_code")
ENROL = reverse("control:two_factor_enrol")
CODES = reverse("control:two_factor_codes")
DESK = reverse("control:dashboard")


def _login(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _enrol(client) -> list[str]:
    """Enrol through the page as a person would: read the secret shown, type its code; the
    recovery codes shown."""
    page = client.get(ENROL).content.decode()
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    key = b32decode(secret.replace(" ", ""))
    device = TOTPDevice.objects.get(key=key.hex())
    response = client.post(ENROL, {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == CODES
    return re.findall(r'data-testid="recovery-code">([a-z2-7]{4}-[a-z2-7]{4})<', _text(client))


def _text(client) -> str:
    return client.get(CODES).content.decode()


def _actions(username: str) -> list[str]:
    entries = AuditEntry.unscoped.filter(username=username, action__startswith="account.otp")
    return list(entries.order_by("pk").values_list("action", flat=True))


def test_the_administrators_and_every_role_that_reveals_must_use_a_second_factor():
    for role in Role.values:
        expected = role in (Role.DISTRICT_ADMIN, Role.TOWN_ADMIN, *ADMIN_ROLES) or (
            Right.VIEW_SENSITIVE in rights_of(role)
        )
        assert requires_second_factor(role) is expected, role
    assert requires_second_factor(Role.BRANCH_SECRETARY)
    assert not requires_second_factor(Role.GRID_WORKER)


@pytest.mark.django_db
def test_a_town_admin_without_a_device_is_sent_to_enrolment_from_every_page(world, client):
    assert _login(client, "town_a").status_code == 302
    for url in (DESK, reverse("control:member_list"), reverse("control:password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == ENROL, url
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "两步验证" in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # the secret is on it


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_served_by_heli_and_the_secret(world, client):
    _login(client, "town_a")
    page = client.get(ENROL).content.decode()
    qr = page.split('data-testid="otp-qr"')[1].split("</div>")[0]
    assert "<svg" in qr and "<img" not in qr  # drawn by heli, no image from elsewhere
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=world.users["town_admin"])
    assert b32decode(secret.replace(" ", "")).hex() == device.key and not device.confirmed
    assert client.get(ENROL).content.decode().count(secret) == 1  # the same secret on reload
    assert "<script" not in page.split("<main")[1].split("</main>")[0]


@pytest.mark.django_db
def test_confirming_enrolment_verifies_the_session_and_shows_ten_recovery_codes(world, client):
    _login(client, "town_a")
    codes = _enrol(client)
    assert len(codes) == len(set(codes)) == 10
    assert client.get(DESK).status_code == 200
    download = client.get(CODES + "?format=txt")
    assert download["Content-Type"].startswith("text/plain")
    assert "attachment" in download["Content-Disposition"]
    assert all(code in download.content.decode() for code in codes)
    # Kept only as keyed digests: no code is stored as typed.
    tokens = StaticDevice.objects.get(user=world.users["town_admin"]).token_set
    assert tokens.count() == 10 and not tokens.filter(token__in=codes).exists()
    # Shown once: after "saved", the page no longer has them.
    assert client.post(CODES)["Location"] == DESK
    assert not re.findall(r'data-testid="recovery-code"', _text(client))
    assert _actions("town_a") == ["account.otp_enrol"]


@pytest.mark.django_db
def test_a_wrong_code_does_not_confirm_enrolment(world, client):
    _login(client, "town_a")
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get(DESK)["Location"] == ENROL


@pytest.mark.django_db
def test_a_password_and_a_code_log_in_and_the_code_is_audited(world, client):
    device = enrolled_device(world.users["town_admin"])
    _login(client, "town_a")
    members = reverse("control:member_list")
    response = client.get(members)
    assert response.status_code == 302
    assert response["Location"] == f"{CODE_PAGE}?next={members}"
    assert client.get(CODE_PAGE).status_code == 200
    response = client.post(f"{CODE_PAGE}?next={members}", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == members
    assert client.get(members).status_code == 200
    assert _actions("town_a") == ["account.otp_verify"]


@pytest.mark.django_db
def test_the_code_page_never_redirects_off_site(world, client):
    device = enrolled_device(world.users["town_admin"])
    _login(client, "town_a")
    response = client.post(f"{CODE_PAGE}?next=https://evil.example/", {"code": totp_code(device)})
    assert response["Location"] == DESK


@pytest.mark.django_db
def test_an_unverified_town_admin_gets_the_code_page_from_every_staff_url(world, client):
    from tests.test_url_matrix import MATRIX, _resolve

    enrolled_device(world.users["town_admin"])
    client.force_login(world.users["town_admin"], verified=False)
    for name, route in MATRIX.items():
        for target in route.targets or [None]:
            kwargs = {target.kwarg: _resolve(world, target), **target.extra} if target else {}
            url = reverse(name, kwargs=kwargs)
            response = getattr(client, route.method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(CODE_PAGE + "?next="), url
    # Logout, the language switch and static files stay reachable.
    assert client.get("/static/heli/favicon.svg").get("Location") is None
    lang = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert not lang["Location"].startswith(CODE_PAGE)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


@pytest.mark.django_db
def test_a_wrong_code_is_refused_audited_and_holds_back_the_next_try(world, client):
    device = enrolled_device(world.users["town_admin"])
    _login(client, "town_a")
    response = client.post(CODE_PAGE, {"code": "123456"})
    assert response.status_code == 200 and 'data-testid="code-error"' in response.content.decode()
    failed = AuditEntry.unscoped.get(action="account.otp_failed")
    assert failed.username == "town_a" and not failed.success
    # django-otp's throttle: after a wrong code even the right one waits (1 s, 2 s, 4 s, …).
    response = client.post(CODE_PAGE, {"code": totp_code(device)})
    assert response.status_code == 200 and 'data-testid="code-wait"' in response.content.decode()
    assert client.get(DESK)["Location"].startswith(CODE_PAGE)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # a try while waiting does not count


@pytest.mark.django_db
def test_the_right_code_after_the_wait_logs_in(world, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait in between
    device = enrolled_device(world.users["town_admin"])
    _login(client, "town_a")
    client.post(CODE_PAGE, {"code": "000000"})
    assert client.post(CODE_PAGE, {"code": totp_code(device)})["Location"] == DESK


@pytest.mark.django_db
def test_a_recovery_code_logs_in_once_and_is_audited(world, client):
    _login(client, "town_a")
    codes = _enrol(client)
    client.post(reverse("logout"))
    _login(client, "town_a")
    response = client.post(CODE_PAGE, {"code": codes[0].upper().replace("-", " ")})
    assert response["Location"] == DESK
    entry = AuditEntry.unscoped.get(action="account.otp_recovery")
    assert entry.detail == {"left": 9}
    client.post(reverse("logout"))
    _login(client, "town_a")
    response = client.post(CODE_PAGE, {"code": codes[0]})
    assert response.status_code == 200  # each code once
    assert client.get(DESK)["Location"].startswith(CODE_PAGE)


@pytest.mark.django_db
def test_regenerating_recovery_codes_replaces_the_old_ones_and_is_audited(world, client, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # the new code right after the refused old one
    _login(client, "town_a")
    old = _enrol(client)
    response = client.post(reverse("control:two_factor_regenerate"))
    assert response["Location"] == CODES
    new = re.findall(r'data-testid="recovery-code">([a-z2-7-]+)<', _text(client))
    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    _login(client, "town_a")
    assert client.post(CODE_PAGE, {"code": old[1]}).status_code == 200
    assert client.post(CODE_PAGE, {"code": new[1]})["Location"] == DESK
    assert "account.otp_codes" in _actions("town_a")


@pytest.mark.django_db
def test_a_grid_worker_may_work_without_a_device_enrol_by_choice_and_disable(world, client):
    _login(client, "worker_a")
    assert client.get(DESK).status_code == 200
    status = reverse("control:two_factor")
    assert f'href="{status}"' in client.get(DESK).content.decode()  # the account menu
    _enrol(client)
    client.post(reverse("logout"))
    _login(client, "worker_a")
    assert client.get(DESK)["Location"].startswith(CODE_PAGE)  # enrolled: the code is asked
    device = TOTPDevice.objects.get(user=world.users["grid_worker"])
    client.post(CODE_PAGE, {"code": totp_code(device)})
    response = client.post(reverse("control:two_factor_disable"))
    assert response["Location"] == status
    assert not TOTPDevice.objects.filter(user=world.users["grid_worker"]).exists()
    assert not StaticDevice.objects.filter(user=world.users["grid_worker"]).exists()
    assert _actions("worker_a") == [
        "account.otp_enrol",
        "account.otp_verify",
        "account.otp_disable",
    ]


@pytest.mark.django_db
def test_a_role_that_requires_it_cannot_disable_it(world, client):
    client.force_login(world.users["town_admin"])
    response = client.post(reverse("control:two_factor_disable"))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=world.users["town_admin"], confirmed=True).exists()
    assert not _actions("town_a")


@pytest.mark.django_db
def test_the_security_administrator_resets_a_device_and_the_person_must_enrol_again(world, client):
    from django.test import Client

    secretary = world.users["branch_secretary"]
    own = Client()
    own.force_login(secretary)
    assert own.get(DESK).status_code == 200
    client.force_login(world.users["security_admin"])
    page = client.get(reverse("control:account_role", kwargs={"pk": secretary.pk}))
    reset = reverse("control:account_two_factor_reset", kwargs={"pk": secretary.pk})
    assert f'action="{reset}"' in page.content.decode()
    assert client.post(reset).status_code == 302
    assert not TOTPDevice.objects.filter(user=secretary).exists()
    entry = AuditEntry.unscoped.get(action="account.otp_reset")
    assert entry.username == world.users["security_admin"].username
    assert entry.object_id == str(secretary.pk)
    assert own.get(DESK)["Location"] == ENROL  # the verified session is verified no more


@pytest.mark.django_db
def test_nobody_resets_their_own_device_and_whoever_sets_passwords_resets_none(world, client):
    # 三权分立: a system administrator who set a password and reset the second factor would
    # hold the account alone.
    secretary = world.users["branch_secretary"]
    for actor, user in (
        ("security_admin", world.users["security_admin"]),
        ("system_admin", secretary),
        ("town_admin", secretary),
    ):
        client.force_login(world.users[actor])
        enrolled_device(user)
        response = client.post(reverse("control:account_two_factor_reset", kwargs={"pk": user.pk}))
        assert response.status_code in (403, 404), actor
        assert TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEntry.unscoped.filter(action="account.otp_reset").exists()


@pytest.mark.django_db
def test_with_the_requirement_off_nobody_is_forced_but_an_enrolled_user_gives_the_code(
    world, client, settings
):
    settings.HELI_2FA_REQUIRED = False
    _login(client, "town_a")
    assert client.get(DESK).status_code == 200
    client.post(reverse("logout"))
    enrolled_device(world.users["district_admin"])
    _login(client, "district")
    assert client.get(DESK)["Location"].startswith(CODE_PAGE)


@pytest.mark.django_db
def test_the_code_page_sends_a_visitor_to_the_login_and_a_verified_user_on(world, client):
    assert client.get(CODE_PAGE)["Location"].startswith(reverse("login"))
    client.force_login(world.users["town_admin"])
    assert client.get(CODE_PAGE)["Location"] == DESK


def test_the_verification_step_is_a_separate_page_using_django_otp(settings):
    assert "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS
    assert "django_otp.plugins.otp_static" in settings.INSTALLED_APPS
    middleware = settings.MIDDLEWARE
    otp = middleware.index("django_otp.middleware.OTPMiddleware")
    assert middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") < otp
    second = middleware.index("heli.accounts.twofactor.SecondFactorMiddleware")
    assert otp < second < middleware.index("heli.accounts.passwords.ChangeRequiredMiddleware")
