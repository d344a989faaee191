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
