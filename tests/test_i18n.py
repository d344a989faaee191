import pytest
from django.urls import reverse


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
def test_a_chinese_browser_gets_chinese_and_an_english_one_english(client):
    login = reverse("login")
    assert "登录" in client.get(login, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "Log in" in client.get(login, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


@pytest.mark.django_db
def test_form_errors_are_in_chinese(world, client):
    client.force_login(world.users["district_admin"])
    response = client.post(reverse("control:station_create"), {"kind": "grid_station"})
    assert "这个字段是必填项" in response.content.decode()
