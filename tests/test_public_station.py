import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_anyone_opens_a_station_page_from_its_token(world, client):
    response = client.get(reverse("public:station", kwargs={"token": world.station_a.token}))
    assert response.status_code == 200
    assert world.station_a.name in response.content.decode()
    assert "党员报到" in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_token_answers_404_and_a_station_id_is_not_a_token(world, client):
    assert client.get(reverse("public:station", kwargs={"token": "nope"})).status_code == 404
    by_id = reverse("public:station", kwargs={"token": str(world.station_a.pk)})
    assert client.get(by_id).status_code == 404


@pytest.mark.django_db
def test_the_station_page_shows_no_staff_data(world, client):
    html = client.get(reverse("public:station", kwargs={"token": world.station_a.token})).content
    assert b"logout" not in html and b"/regions/" not in html


@pytest.mark.django_db
def test_a_bad_station_link_shows_a_public_page_without_the_staff_menu(world, client):
    # A staff member checking a poster on their own phone sees what a citizen sees.
    client.force_login(world.users["town_admin"])
    for name in ("public:station", "public:station_done"):
        response = client.get(reverse(name, kwargs={"token": "unknown"}))
        html = response.content.decode()
        assert response.status_code == 404
        assert "二维码无效" in html and "请向阵地工作人员或网格员询问" in html
        assert 'id="sidenav"' not in html and "user-chip" not in html
        assert "logout" not in html and "不在您" not in html


@pytest.mark.django_db
def test_a_missing_page_shows_an_anonymous_visitor_no_staff_menu(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'id="sidenav"' not in html and 'data-bs-target="#sidenav"' not in html
    assert "本组织" not in html  # nothing about a scope the visitor does not have


@pytest.mark.django_db
def test_a_missing_page_keeps_the_staff_menu_for_staff(world, client):
    client.force_login(world.users["town_admin"])
    html = client.get("/no-such-page/").content.decode()
    assert 'id="sidenav"' in html and "不存在" in html


@pytest.mark.django_db
def test_the_public_form_says_only_that_an_id_number_is_not_valid(world, client):
    url = reverse("public:station", kwargs={"token": world.station_a.token})
    wrong = "110105194912310021"  # its check code should be X
    for number in (wrong, "11010519491231002", "110105194913310021"):
        response = client.post(url, {"name": "张伟", "id_or_phone": number})
        html = response.content.decode()
        assert response.status_code == 200
        assert "身份证号码无效，请核对后重新填写" in html, number
        assert "最后一位" not in html and "应为" not in html and "校验码" not in html


def test_staff_forms_keep_the_detailed_id_number_message():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from heli.members import idcard

    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        idcard.validate("110105194912310021")
    assert "最后一位应为 X" in raised.value.messages[0]
