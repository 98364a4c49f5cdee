"""The map layers (county boundaries, station jurisdictions), the county data's build, and the
MBTiles tile route."""

import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import h3
import pytest
import shapely
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from shapely.geometry import Point, shape

from anmin.geo import tiles
from anmin.geo.coords import distance_m, gcj02_to_wgs84
from anmin.geo.data import build_counties
from anmin.geo.layers import layers_cache
from anmin.geo.models import GridCell
from tests.conftest import A1_POINT, B1_POINT, portal_client

COUNTY_FILE = Path(settings.BASE_DIR) / "geo" / "data" / "hengshui_counties.geojson"
#: County seats in WGS-84 (lat, lon) by GB/T 2260 code.
SEATS = {
    "131102": ("桃城区", 37.735, 115.675),
    "131103": ("冀州区", 37.551, 115.579),
    "131121": ("枣强县", 37.514, 115.724),
    "131122": ("武邑县", 37.802, 115.887),
    "131123": ("武强县", 38.041, 115.982),
    "131124": ("饶阳县", 38.235, 115.726),
    "131125": ("安平县", 38.234, 115.519),
    "131126": ("故城县", 37.347, 115.966),
    "131127": ("景县", 37.692, 116.270),
    "131128": ("阜城县", 37.863, 116.144),
    "131182": ("深州市", 38.001, 115.560),
}


def layers_of(client: Client) -> dict:
    response = client.get(reverse("geo:layers"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


# --- the county file ------------------------------------------------------------------------------


def county_shapes() -> dict[str, tuple[str, object]]:
    collection = json.loads(COUNTY_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: (f["properties"], shape(f["geometry"])) for f in collection["features"]}


def test_the_county_file_holds_hengshuis_eleven_county_level_divisions():
    counties = county_shapes()
    assert set(counties) == set(SEATS)
    for code, (props, geometry) in counties.items():
        assert props["name"] == SEATS[code][0]
        assert props["approximate"] is False
        assert geometry.is_valid and geometry.geom_type in ("Polygon", "MultiPolygon")
    assert COUNTY_FILE.stat().st_size < 150 * 1024


def test_each_county_seat_lies_in_its_own_county_and_no_other():
    counties = county_shapes()
    for code, (name, lat, lon) in SEATS.items():
        seat = Point(lon, lat)
        holding = [c for c, (_, geometry) in counties.items() if geometry.contains(seat)]
        assert holding == [code], (name, holding)


def test_the_counties_tile_the_city_without_overlaps():
    geometries = [geometry for _, geometry in county_shapes().values()]
    assert shapely.coverage_is_valid(geometries)
    # 衡水市 is about 8,800 km²: the outlines cover it (1° × 1° at 37.7° N is about 9,800 km²).
    km2 = sum(g.area for g in geometries) * 111.32 * 110.57 * math.cos(math.radians(37.7))
    assert 8300 < km2 < 9300


# --- the build script -------------------------------------------------------------------------------


def encode_ring(points: list[tuple[float, float]], scale: int = 1024) -> tuple[str, list[int]]:
    """ECharts' compressed ring, as echarts-mapmaker writes it (Math.ceil, delta, zigzag, +64)."""
    quantized = [(math.ceil(x * scale), math.ceil(y * scale)) for x, y in points]
    offset = list(quantized[0])
    prev, chars = quantized[0], []
    for x, y in quantized:
        for value, before in ((x, prev[0]), (y, prev[1])):
            delta = value - before
            chars.append(chr(((delta << 1) ^ (delta >> 15)) + 64))
        prev = (x, y)
    return "".join(chars), offset


def test_it_decodes_echarts_compressed_rings():
    points = [(115.5, 37.5), (115.7, 37.5), (115.71, 37.62), (115.49, 37.6), (115.5, 37.5)]
    encoded, offset = encode_ring(points)
    decoded = build_counties.decode_ring(encoded, offset, 1024)
    assert len(decoded) == len(points)
    for (x, y), (dx, dy) in zip(points, decoded, strict=True):
        assert 0 <= dx - x < 1 / 1024 and 0 <= dy - y < 1 / 1024  # rounded up to the grid


def test_the_build_moves_gcj02_outlines_to_wgs84_and_keeps_neighbours_meeting(tmp_path):
    """Eleven squares side by side, published as the package does (GCJ-02, compressed): the file
    built from them holds the squares where they lie in WGS-84, still sharing their sides."""
    codes = sorted(build_counties.COUNTIES)
    west, south, side = 115.3, 37.6, 0.08
    features = []
    for i, code in enumerate(codes):
        x0 = west + i * side
        ring = [(x0, south), (x0 + side, south), (x0 + side, south + side), (x0, south + side), (x0, south)]
        encoded, offset = encode_ring(ring)
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"name": build_counties.COUNTIES[code]},
                "geometry": {"type": "Polygon", "coordinates": [encoded], "encodeOffsets": [offset]},
            }
        )
    collection = {"type": "FeatureCollection", "features": features, "UTF8Encoding": True}
    source = tmp_path / "衡水市.js"
    source.write_text(f"echarts.registerMap('衡水', {json.dumps(collection, ensure_ascii=False)});", encoding="utf-8")
    out = tmp_path / "counties.geojson"
    build_counties.build(source, out)
    built = {f["properties"]["code"]: f for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert set(built) == set(codes)
    geometries = [shape(built[c]["geometry"]) for c in codes]
    assert shapely.coverage_is_valid(geometries)
    for i, code in enumerate(codes):
        # The square's south-west corner, in GCJ-02, is this point in WGS-84.
        lat, lon = gcj02_to_wgs84(south, west + i * side)
        minx, miny, _, _ = geometries[i].bounds
        assert distance_m(lat, lon, miny, minx) < 75  # half a 1/1024° step each way at most
        assert built[code]["properties"] == {"code": code, "name": build_counties.COUNTIES[code], "approximate": False}


# --- geo:layers -----------------------------------------------------------------------------------


def test_layers_hold_the_counties_and_each_stations_jurisdiction(city):
    data = layers_of(city.login(city.dispatcher))
    counties = {f["properties"]["code"]: f for f in data["counties"]}
    assert set(counties) == set(SEATS)
    for code, feature in counties.items():
        geometry = shape(feature["geometry"])
        assert feature["properties"]["name"] == SEATS[code][0]
        assert geometry.contains(Point(feature["properties"]["label"]))
    by_name = {f["properties"]["name"]: f for f in data["jurisdictions"]}
    assert set(by_name) == {"河西派出所", "河东派出所", "冀州镇派出所"}
    for feature in data["jurisdictions"]:
        assert set(feature["properties"]) == {"name", "label", "approximate"}  # no internal id
        assert feature["properties"]["approximate"] is True
        assert shape(feature["geometry"]).contains(Point(feature["properties"]["label"]))
    a1 = shape(by_name["河西派出所"]["geometry"])
    b1 = shape(by_name["冀州镇派出所"]["geometry"])
    assert a1.contains(Point(A1_POINT[1], A1_POINT[0]))
    assert b1.contains(Point(B1_POINT[1], B1_POINT[0]))
    assert not a1.intersects(b1)
    # The outline is its cells' union, smoothed: about the area of 37 cells of this resolution.
    cells = GridCell.objects.filter(jurisdiction=city.station_a1).values_list("h3", flat=True)
    exact = shape(h3.cells_to_h3shape(list(cells)).__geo_interface__)
    assert a1.symmetric_difference(exact).area < 0.1 * exact.area


def test_neighbouring_jurisdictions_meet_without_overlap(city):
    """河东's cells are moved next to 河西's: their smoothed outlines share a line, no area."""
    ring = h3.grid_ring(h3.latlng_to_cell(*A1_POINT, settings.GRID_RESOLUTION), 4)
    for cell in ring[:6]:
        GridCell(h3=cell, jurisdiction=city.station_a2).save()
    data = layers_of(Client())
    by_name = {f["properties"]["name"]: shape(f["geometry"]) for f in data["jurisdictions"]}
    a1, a2 = by_name["河西派出所"], by_name["河东派出所"]
    assert a1.intersection(a2).area < 1e-9
    assert a1.boundary.intersection(a2.boundary).length > 0


def test_layers_are_built_once_and_rebuilt_when_a_cell_changes(city, django_assert_num_queries):
    client = Client()
    first = client.get(reverse("geo:layers"))
    with django_assert_num_queries(0):  # kept in the process: no query at all
        again = client.get(reverse("geo:layers"))
    assert again.content == first.content
    assert client.get(reverse("geo:layers"), headers={"if-none-match": first["ETag"]}).status_code == 304
    # A cell given to 河东 (saved as the admin does) is drawn at once.
    cell = h3.grid_ring(h3.latlng_to_cell(37.76, 115.70, settings.GRID_RESOLUTION), 2)[0]
    GridCell(h3=cell, jurisdiction=city.station_a2).save()
    changed = client.get(reverse("geo:layers"))
    assert changed["ETag"] != first["ETag"]
    a2 = {f["properties"]["name"]: f for f in changed.json()["jurisdictions"]}["河东派出所"]
    lat, lon = h3.cell_to_latlng(cell)
    assert shape(a2["geometry"]).contains(Point(lon, lat))
    # A renamed station is drawn under its new name.
    city.station_a2.short_name = "河东所"
    city.station_a2.save()
    names = {f["properties"]["name"] for f in layers_of(client)["jurisdictions"]}
    assert "河东所" in names and "河东派出所" not in names


def test_layers_are_public_and_cached_by_browsers(city, citizen):
    officer = layers_of(city.login(city.station_officer))
    assert layers_of(Client()) == officer  # the portal's maps draw them for anyone
    assert layers_of(portal_client(citizen)) == officer
    response = city.login(city.dispatcher).get(reverse("geo:layers"))
    assert response["Cache-Control"] == "max-age=300"  # not the no-store of pages with personal data
    assert Client().post(reverse("geo:layers")).status_code == 405


def test_layers_without_cells_or_county_file_are_empty(db, settings):
    settings.COUNTY_BOUNDARIES = ""
    layers_cache.clear()
    assert layers_of(Client()) == {"counties": [], "jurisdictions": []}


# --- tiles ----------------------------------------------------------------------------------------

PNG_NORTH = b"\x89PNG\r\n\x1a\nnorth"
PNG_SOUTH = b"\x89PNG\r\n\x1a\nsouth"


def make_mbtiles(path: Path, fmt: str | None = "png") -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        if fmt:
            db.execute("INSERT INTO metadata VALUES ('format', ?)", (fmt,))
        # Zoom 1, western column: MBTiles rows count from the south (TMS).
        db.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (PNG_NORTH,))
        db.execute("INSERT INTO tiles VALUES (1, 0, 0, ?)", (PNG_SOUTH,))
    return path


@pytest.fixture
def tile_file(tmp_path, settings):
    settings.TILE_FILE = str(make_mbtiles(tmp_path / "city.mbtiles"))
    tiles.tile_format.cache_clear()
    yield settings.TILE_FILE
    tiles.tile_format.cache_clear()


def tile_url(z, x, y, ext="png"):
    return reverse("geo:tile", kwargs={"z": z, "x": x, "y": y, "ext": ext})


def test_it_serves_tiles_in_xyz_order_from_the_mbtiles_file(db, tile_file):
    north = Client().get(tile_url(1, 0, 0))
    assert north.status_code == 200
    assert north["Content-Type"] == "image/png"
    assert north.content == PNG_NORTH  # y=0 is the northern row, stored as tile_row 1
    assert Client().get(tile_url(1, 0, 1)).content == PNG_SOUTH
    assert "public" in north["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        tile_url(1, 1, 0),  # a tile the file does not hold
        tile_url(1, 2, 0),  # outside the zoom's square
        tile_url(31, 0, 0),
        tile_url(1, 0, 0, "jpg"),  # not the file's format
    ],
)
def test_it_answers_404_for_a_tile_it_does_not_have(db, tile_file, url):
    assert Client().get(url).status_code == 404


def test_it_serves_no_tiles_without_a_tile_file(db, settings):
    settings.TILE_FILE = ""
    assert Client().get(tile_url(1, 0, 0)).status_code == 404


def test_tiles_are_cached_by_a_signed_in_officers_browser(city, tile_file):
    response = city.login(city.dispatcher).get(tile_url(1, 0, 0))
    assert response.status_code == 200
    assert response["Cache-Control"] != "no-store"


def test_it_reads_the_format_and_refuses_a_file_that_is_not_mbtiles(tmp_path):
    assert tiles.tile_format(str(make_mbtiles(tmp_path / "old.mbtiles", fmt=None))) == "png"  # MBTiles 1.0
    assert tiles.tile_format(str(make_mbtiles(tmp_path / "photo.mbtiles", fmt="JPEG"))) == "jpg"
    with pytest.raises(ImproperlyConfigured, match="pbf2"):
        tiles.tile_format(str(make_mbtiles(tmp_path / "odd.mbtiles", fmt="pbf2")))
    (tmp_path / "notes.mbtiles").write_text("not a database")
    with pytest.raises(ImproperlyConfigured, match="not an MBTiles file"):
        tiles.tile_format(str(tmp_path / "notes.mbtiles"))
    with pytest.raises(ImproperlyConfigured, match="not a file"):
        tiles.tile_format(str(tmp_path / "missing.mbtiles"))


def settings_value(name: str, **env) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "anmin.settings", "TILE_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() + result.stderr


def test_a_tile_file_becomes_the_maps_tile_url(tmp_path):
    path = make_mbtiles(tmp_path / "city.mbtiles", fmt="webp")
    assert settings_value("TILE_URL", TILE_FILE=str(path)).startswith("/geo/tiles/{z}/{x}/{y}.webp")
    # A tile server named in TILE_URL wins over the file.
    url = "http://tiles.intranet/{z}/{x}/{y}.png"
    assert settings_value("TILE_URL", TILE_FILE=str(path), TILE_URL=url).startswith(url)
    assert "not a file" in settings_value("TILE_URL", TILE_FILE=str(tmp_path / "missing.mbtiles"))
