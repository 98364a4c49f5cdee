"""Grid cells' names (河西派出所第17网格): the migration's fill, new and moved cells, and the
statistics pages, API and exports that show a cell by its name and never by its H3 index."""

import importlib
import re
from datetime import datetime
from html import unescape
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import h3
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from anmin.geo.coords import distance_m
from anmin.geo.models import GridCell, Post
from anmin.geo.naming import number_of
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import Role
from tests.conftest import A1_POINT
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
H3_ID = re.compile(r"8[0-9a-f]{14}")
migration = importlib.import_module("anmin.geo.migrations.0003_gridcell_name")


def fill(apps):
    """The migration's fill, on today's models and the test database's connection."""
    migration.name_cells(apps, SimpleNamespace(connection=connection))


def names_of(station) -> list[str]:
    return list(GridCell.objects.filter(jurisdiction=station).values_list("name", flat=True))


def shown_text(html: str) -> str:
    """What a user reads: the text between tags, and the attributes a browser shows (value,
    placeholder, title, alt, aria-label). Links and data- attributes carry ids for the code."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<input[^>]*type="hidden"[^>]*>', " ", html)
    shown = re.findall(r'\b(?:value|placeholder|title|alt|aria-label)="([^"]*)"', html)
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + " ".join(shown))


def refill():
    """Run the migration's fill again on cells whose names were taken away (each set to its own
    index for the while: the per-station constraint allows no two blanks)."""
    GridCell.objects.update(name=F("h3"))
    fill(django_apps)


def test_the_migration_numbers_each_station_from_its_seat_outwards(city):
    seat = (A1_POINT[0] + 0.004, A1_POINT[1] - 0.003)
    Post.objects.create(
        name="河西派出所", kind=Post.Kind.STATION, organization=city.station_a1, lat=seat[0], lon=seat[1]
    )
    refill()
    for station in (city.station_a1, city.station_a2, city.station_b1):
        cells = list(GridCell.objects.filter(jurisdiction=station))
        numbers = sorted(number_of(c.name) for c in cells)
        assert numbers == list(range(1, len(cells) + 1))  # 1…n, each once
        assert all(c.name == f"{station.label}第{number_of(c.name)}网格" for c in cells)
    ordered = sorted(GridCell.objects.filter(jurisdiction=city.station_a1), key=lambda c: number_of(c.name))
    distances = [distance_m(*seat, c.lat, c.lon) for c in ordered]
    assert distances == sorted(distances)  # nearest to the 派出所驻地 first
    assert ordered[0].h3 == h3.latlng_to_cell(*seat, settings.GRID_RESOLUTION)
    first = {c.h3: c.name for c in GridCell.objects.all()}
    refill()
    assert {c.h3: c.name for c in GridCell.objects.all()} == first  # stable: the same names again


def test_cells_made_in_bulk_are_named_as_the_migration_names_them(city):
    made = {c.h3: c.name for c in GridCell.objects.all()}  # the fixture's cells came by bulk_create
    assert all(made.values())
    refill()
    assert {c.h3: c.name for c in GridCell.objects.all()} == made


def test_a_new_cell_takes_the_next_number_of_its_station(city):
    count = GridCell.objects.filter(jurisdiction=city.station_a2).count()
    taken = set(GridCell.objects.values_list("h3", flat=True))
    free = sorted(set(h3.grid_disk(h3.latlng_to_cell(37.76, 115.70, settings.GRID_RESOLUTION), 3)) - taken)
    cell = GridCell(h3=free[0], jurisdiction=city.station_a2)
    cell.save()
    assert cell.name == f"河东派出所第{count + 1}网格"
    GridCell.objects.bulk_create([GridCell(h3=h, jurisdiction=city.station_a2, lat=0, lon=0) for h in free[1:3]])
    assert sorted(number_of(n) for n in names_of(city.station_a2))[-3:] == [count + 1, count + 2, count + 3]


def test_a_cell_handed_to_another_station_in_the_admin_takes_its_next_number(city, client):
    client.force_login(OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True))
    cell = GridCell.objects.filter(jurisdiction=city.station_a1).order_by("h3").first()
    before = cell.name
    count_b1 = GridCell.objects.filter(jurisdiction=city.station_b1).count()
    response = client.post(
        f"/admin/geo/gridcell/{cell.pk}/change/",
        {"h3": cell.h3, "jurisdiction": city.station_b1.pk, "area_type": "urban", "target_minutes": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cell.refresh_from_db()
    assert cell.jurisdiction_id == city.station_b1.pk
    assert cell.name == f"冀州镇派出所第{count_b1 + 1}网格" and cell.name != before
    cell.area_type = "rural"
    cell.save()
    cell.refresh_from_db()
    assert cell.name == f"冀州镇派出所第{count_b1 + 1}网格"  # an edit that keeps the station keeps the name
    listing = client.get("/admin/geo/gridcell/?q=" + cell.name).content.decode()
    assert cell.name in listing
    heads = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
    assert heads.index("name") < heads.index("h3")  # the name first, the index as a technical column


@pytest.fixture
def march(city):
    """Incidents in 河西 (A1) in March 2026: most of its cells stay 零发案."""
    data = {
        "category": "0601",
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "address": "测试路 1 号",
        "caller_phone": "13812345678",
        "description": "测试警情",
        "priority": 2,
    }
    for day in (2, 9):
        when = datetime(2026, 3, day, 10, tzinfo=TZ)
        ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=when).execute()
    return city


def test_the_zero_incident_drill_down_lists_cells_by_name(march):
    client = march.login(march.station_officer)
    params = {"metric": "zero_incident_rate", "period": "2026-03", "part": "numerator"}
    response = client.get(reverse("stats:records"), params)
    assert response.status_code == 200
    text = shown_text(response.content.decode())
    zero = GridCell.objects.filter(jurisdiction=march.station_a1).count() - 1
    hit = GridCell.locate(*A1_POINT)  # the cell the incidents came from: the centre, so 第1网格
    assert hit.name == "河西派出所第1网格" and hit.name not in text.split()
    assert "河西派出所第2网格" in text and "网格（H3 编号）" not in text
    assert len(re.findall(r"河西派出所第\d+网格", text)) == zero
    assert not H3_ID.search(text)


def test_the_builder_groups_by_grid_and_takes_a_name(march):
    client = march.login(march.leader)
    grouped = client.get(reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "group_by": "grid"})
    assert grouped.status_code == 200
    cell = GridCell.locate(*A1_POINT)
    text = shown_text(grouped.content.decode())
    assert cell.name in text and not H3_ID.search(text)
    by_name = client.get(reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "grid": cell.name})
    by_index = client.get(reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "grid": cell.h3})
    for response in (by_name, by_index):
        assert response.status_code == 200
        html = response.content.decode()
        assert f'value="{cell.name}"' in html  # an index from a link is shown by its name
        assert re.search(r'<a class="fig[^"]*" href="[^"]+"[^>]*>2</a>', html)
        assert not H3_ID.search(shown_text(html))
    unknown = client.get(
        reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "grid": "河西派出所第999网格"}
    )
    assert unknown.status_code == 400 and "grid「河西派出所第999网格」不存在" in unescape(unknown.content.decode())
    other = GridCell.objects.filter(jurisdiction=march.station_b1).first()
    outsider = march.login(march.station_officer).get(
        reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "grid": other.name}
    )
    assert outsider.status_code == 400  # another station's cell, by name, as by index


def test_the_api_keeps_the_index_as_the_id_and_gives_the_name(march):
    client = march.api(march.leader)
    cell = GridCell.locate(*A1_POINT)
    report = client.get("/api/v1/stats/report", {"period": "2026-03", "group_by": "grid", "grid": cell.name}).json()
    assert [(r["key"], r["label"], r["value"]) for r in report["rows"]] == [(cell.h3, cell.name, 2)]
    records = client.get(
        "/api/v1/stats/records",
        {"metric": "zero_incident_rate", "period": "2026-03", "part": "numerator", "limit": 500},
    ).json()
    assert records["count"] == GridCell.objects.count() - 1
    first = records["records"][0]
    assert first["type"] == "grid_cell" and H3_ID.fullmatch(first["id"])
    assert first["number"] == first["name"] == GridCell.objects.get(h3=first["id"]).name


def test_the_exports_show_names(march):
    client = march.login(march.leader)
    cell = GridCell.locate(*A1_POINT)
    params = {"metric": "incidents", "period": "2026-03", "group_by": "grid"}
    book = load_workbook(BytesIO(client.get(reverse("stats:export", args=["xlsx"]), params).content))
    values = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert cell.name in values and not any(H3_ID.search(v) for v in values)
    filtered = {"metric": "incidents", "period": "2026-03", "grid": cell.h3}
    for fmt in ("xlsx", "pdf"):
        response = client.get(reverse("stats:export", args=[fmt]), filtered)
        assert response.status_code == 200
        if fmt == "xlsx":
            book = load_workbook(BytesIO(response.content))
            text = " ".join(str(v) for s in book for r in s.iter_rows(values_only=True) for v in r if v is not None)
        else:
            pages = PdfReader(BytesIO(response.content)).pages
            text = "".join(page.extract_text() for page in pages).replace("\x00", "")
            text = re.sub(r"\s+", "", text)
        assert cell.name in text and not H3_ID.search(text)


def test_the_heat_map_names_each_cell(march):
    data = march.login(march.leader).get(reverse("stats:dashboard-cells")).json()
    names = {c[0]: c[3] for c in data["cells"]}
    assert names == dict(GridCell.objects.values_list("h3", "name"))
