import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from heli.accounts.models import User
from tests.factories import log_in


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default(world, client):
    client.force_login(world.users["district_admin"])
    html = client.get(reverse("control:dashboard")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "工作台" in html and "一网格一支部一阵地" in html


@pytest.mark.django_db
def test_a_user_switches_to_english_and_back(world, client):
    client.force_login(world.users["district_admin"])
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("control:dashboard")).content.decode()
    assert '<html lang="en">' in html and "My desk" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("control:dashboard")).content.decode()


@pytest.mark.django_db
def test_an_english_browser_gets_chinese_until_english_is_picked(world, client):
    login = reverse("login")
    assert "登录" in client.get(login, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "登录" in client.get(login, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.force_login(world.users["district_admin"])
    html = client.get(reverse("control:dashboard"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_the_language_picked_is_remembered_past_the_session(world, client):
    """The session cookie goes when the browser closes; the language cookie stays a year."""
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    assert "Log in" in client.get(reverse("login")).content.decode()


def _log_in(client, username: str):
    return log_in(client, username, follow=True)  # with the code where the account needs one


@pytest.mark.django_db
def test_the_language_picked_persists_across_a_logout_and_a_login(world, client):
    assert "工作台" in _log_in(client, "district").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("logout"))
    assert "Log in" in client.get(reverse("login")).content.decode()
    html = _log_in(client, "district").content.decode()
    assert '<html lang="en">' in html and "My desk" in html


@pytest.mark.django_db
def test_a_staff_members_pick_follows_them_to_another_browser(world, client):
    _log_in(client, "district")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert User.objects.get(username="district").language == "en"

    other_pc = Client()
    other_pc.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    html = _log_in(other_pc, "district").content.decode()
    assert '<html lang="en">' in html
    # …and that browser's login page speaks it after logging out.
    other_pc.post(reverse("logout"))
    assert "Log in" in other_pc.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_english_picked_on_the_login_page_stays_after_logging_in(world, client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    html = _log_in(client, "town_a").content.decode()
    assert '<html lang="en">' in html and "My desk" in html


@pytest.mark.django_db
def test_form_errors_are_in_chinese(world, client):
    client.force_login(world.users["district_admin"])
    response = client.post(reverse("control:station_create"), {"kind": "grid_station"})
    assert "这个字段是必填项" in response.content.decode()
