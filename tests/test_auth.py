import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from heli.audit.models import AuditEntry
from tests.factories import UserFactory

PASSWORD = "Test#2026pass"


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_a_staff_user_logs_in_and_lands_on_the_dashboard(world, client):
    response = _login(client, "town_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("control:dashboard")
    entry = AuditEntry.unscoped.get(action="login")
    assert entry.username == "town_a"
    assert entry.ip_address == "127.0.0.1"
    assert entry.success


@pytest.mark.django_db
def test_a_wrong_password_is_refused_and_audited_as_a_failure(world, client):
    response = _login(client, "town_a", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.unscoped.get(action="login.failed")
    assert entry.username == "town_a" and not entry.success
    assert entry.org_path == world.town_a_org.path


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_for_the_right_password(world, client):
    for _ in range(5):
        _login(client, "town_a", "wrong")
    response = _login(client, "town_a", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert b'data-testid="locked"' in response.content


@pytest.mark.django_db
def test_four_failures_do_not_lock_and_a_success_resets_the_count(world, client):
    for _ in range(4):
        _login(client, "town_a", "wrong")
    assert _login(client, "town_a", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "town_a", "wrong")
    assert _login(client, "town_a", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_lockout_of_one_account_leaves_others_alone(world, client):
    for _ in range(5):
        _login(client, "town_a", "wrong")
    assert _login(client, "town_b", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_logout_ends_the_session_and_is_audited(world, client):
    _login(client, "town_a", PASSWORD)
    session_key = client.session.session_key
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(reverse("control:dashboard")).status_code == 302
    assert AuditEntry.unscoped.filter(action="logout", username="town_a").exists()


@pytest.mark.django_db
def test_logout_by_get_is_not_possible(world, client):
    _login(client, "town_a", PASSWORD)
    assert client.get(reverse("logout")).status_code == 405


def test_sessions_end_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # The idle timer is a last-seen stamp written at most once a minute (tests/test_sessions.py).
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.django_db
def test_an_idle_session_past_thirty_minutes_is_logged_out(world, client, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(world.users["town_admin"])
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("control:dashboard")).status_code == 302


@pytest.mark.parametrize(
    "password",
    ["Ab1!", "abcdefgh12", "ABCDEFGH!!", "abcdefghij", "12345678!"],
)
def test_it_refuses_short_or_simple_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Gate#2026", "abcd1234!x", "Grid2026lead", "ZX-ab-99-qq"])
def test_it_accepts_passwords_with_three_character_classes(password):
    validate_password(password)


def test_the_password_rule_message_is_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validate_password("abcdefghij")
    assert any("至少" in message for message in error.value.messages)


@pytest.mark.django_db
def test_an_account_without_organization_sees_no_staff_page(client):
    user = UserFactory(role="district_admin", org=None)
    client.force_login(user)
    assert client.get(reverse("control:dashboard")).status_code == 403
