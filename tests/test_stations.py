import re

import pypdfium2 as pdfium
import pytest
import segno
from django.urls import reverse
from pyzbar.pyzbar import decode

from heli.audit.models import AuditEntry
from heli.core.scoping import activate
from heli.stations.models import Station, StationKind
from tests.factories import StationFactory


def _decode_pdf(data: bytes) -> list[str]:
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=2).to_pil()
    return [symbol.data.decode() for symbol in decode(image)]


@pytest.mark.django_db
def test_every_station_gets_its_own_unguessable_token(world):
    tokens = {s.token for s in Station.unscoped.all()}
    assert len(tokens) == 3
    assert all(len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in tokens)


@pytest.mark.django_db
def test_the_pdf_poster_is_one_a4_page_whose_qr_opens_the_station_page(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.get(reverse("control:station_poster_pdf", kwargs={"pk": world.station_a.pk}))
    assert response["Content-Type"] == "application/pdf"
    pdf = pdfium.PdfDocument(response.content)
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert _decode_pdf(response.content) == [f"http://testserver/s/{world.station_a.token}/"]


@pytest.mark.django_db
def test_the_poster_uses_the_configured_public_address(world, client, settings):
    settings.PUBLIC_BASE_URL = "https://heli.example.gov.cn"
    client.force_login(world.users["grid_worker"])
    response = client.get(reverse("control:station_poster_pdf", kwargs={"pk": world.station_a.pk}))
    assert _decode_pdf(response.content) == [
        f"https://heli.example.gov.cn/s/{world.station_a.token}/"
    ]


@pytest.mark.django_db
def test_the_svg_poster_draws_exactly_the_qr_modules_of_the_station_url(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.get(reverse("control:station_poster_svg", kwargs={"pk": world.station_a.pk}))
    svg = response.content.decode()
    assert 'viewBox="0 0 210 297"' in svg and world.station_a.name in svg
    expected = segno.make(f"http://testserver/s/{world.station_a.token}/", error="m", micro=False)
    dark = sum(sum(1 for cell in row if cell) for row in expected.matrix)
    modules = svg.split('<g fill="#000">', 1)[1].split("</g>", 1)[0]
    assert modules.count("<rect ") == dark


@pytest.mark.django_db
def test_the_poster_page_embeds_the_printable_svg(world, client):
    client.force_login(world.users["grid_worker"])
    response = client.get(reverse("control:station_poster", kwargs={"pk": world.station_a.pk}))
    # The page's print layout (@page) is in poster.css: no inline style (CSP).
    assert b"<svg" in response.content and b"heli/poster.css" in response.content


@pytest.mark.django_db
def test_a_branch_secretary_adds_a_station_to_their_grid(world, client):
    client.force_login(world.users["branch_secretary"])
    response = client.post(
        reverse("control:station_create"),
        {
            "kind": StationKind.RED_POST,
            "name": "快递“红驿家”",
            "grid": world.grid_a.pk,
            "opening_hours": "每天 8:00-20:00",
            "services": "快递代收\n为老送餐",
            "latitude": "31.75",
            "longitude": "120.05",
        },
    )
    assert response.status_code == 302
    station = Station.unscoped.get(name="快递“红驿家”")
    assert station.grid == world.grid_a
    assert station.service_list == ["快递代收", "为老送餐"]
    assert AuditEntry.unscoped.filter(action="station.create", object_id=str(station.pk)).exists()


@pytest.mark.django_db
def test_a_station_cannot_be_put_in_another_towns_grid_or_outside_a_grid(world, client):
    client.force_login(world.users["branch_secretary"])
    url = reverse("control:station_create")
    for grid in (world.grid_b, world.village_a):
        response = client.post(url, {"kind": "grid_station", "name": "越权阵地", "grid": grid.pk})
        assert response.status_code == 200
        assert response.context["form"].errors["grid"]
    assert not Station.unscoped.filter(name="越权阵地").exists()


@pytest.mark.django_db
def test_bad_coordinates_are_refused_with_a_message(world, client):
    client.force_login(world.users["district_admin"])
    response = client.post(
        reverse("control:station_create"),
        {"kind": "grid_station", "name": "坐标错误", "grid": world.grid_a.pk, "latitude": "95"},
    )
    assert response.status_code == 200
    assert "latitude" in response.context["form"].errors


@pytest.mark.django_db
def test_editing_a_station_records_what_changed(world, client):
    client.force_login(world.users["service_staff"])
    url = reverse("control:station_edit", kwargs={"pk": world.station_a.pk})
    response = client.post(
        url,
        {
            "kind": "grid_station",
            "name": world.station_a.name,
            "grid": world.grid_a.pk,
            "opening_hours": "周一至周日 9:00-21:00",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.unscoped.get(action="station.update")
    assert entry.detail["opening_hours"] == ["周一至周五 8:30-17:30", "周一至周日 9:00-21:00"]
    assert entry.username == "service_a"


@pytest.mark.django_db
def test_the_station_list_filters_by_type_and_town(world, client):
    StationFactory(name="红磁场之家一号", kind=StationKind.RED_MAGNET_HOME, grid=world.grid_b)
    client.force_login(world.users["district_admin"])
    url = reverse("control:station_list")
    names = lambda r: [s.name for s in r.context["page"].object_list]  # noqa: E731
    assert names(client.get(url, {"kind": "red_magnet_home"})) == ["红磁场之家一号"]
    assert set(names(client.get(url, {"region": world.town_a.pk}))) == {
        world.station_a.name,
        world.station_a2.name,
    }
    assert names(client.get(url, {"q": "剑湖", "kind": "grid_station"})) == [world.station_b.name]


@pytest.mark.django_db
def test_the_station_list_pages_at_the_configured_size(world, client, settings):
    settings.HELI_PAGE_SIZE = 2
    client.force_login(world.users["district_admin"])
    page = client.get(reverse("control:station_list")).context["page"]
    assert page.paginator.num_pages == 2 and len(page.object_list) == 2
    with activate(world.users["district_admin"].scope()):
        assert Station.objects.count() == 3
