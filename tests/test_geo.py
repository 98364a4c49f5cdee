"""Geography: WGS-84 ⇄ GCJ-02, distances, locating grid cells, arrival targets, patrol lines."""

import math

import h3
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from anmin.geo.coords import EARTH_RADIUS_M, distance_m, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02
from anmin.geo.models import DEFAULT_TARGET_MINUTES, AreaType, ArrivalTarget, GridCell, PatrolLine
from anmin.incidents.actions import ReceiveCall
from tests.conftest import A1_POINT, B1_POINT

HENGSHUI_POINTS = [
    (37.735, 115.675),  # 桃城 河西
    (37.76, 115.70),  # 桃城 河东
    (37.551, 115.579),  # 冀州
    (37.3, 115.2),
    (38.1, 116.1),
]


# --- WGS-84 ⇄ GCJ-02 -------------------------------------------------------------------------


def test_it_converts_wgs84_to_gcj02_like_the_published_algorithm():
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428150164, abs=1e-6)
    assert lon == pytest.approx(116.41024449916938, abs=1e-6)


def test_it_shifts_hengshui_by_a_few_hundred_metres():
    for lat, lon in HENGSHUI_POINTS:
        glat, glon = wgs84_to_gcj02(lat, lon)
        shift = distance_m(lat, lon, glat, glon)
        assert 100 < shift < 1000, (lat, lon, shift)


@pytest.mark.parametrize("point", HENGSHUI_POINTS)
def test_it_round_trips_gcj02_back_to_wgs84(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert back[0] == pytest.approx(point[0], abs=1e-7)
    assert back[1] == pytest.approx(point[1], abs=1e-7)


@pytest.mark.parametrize(
    "point",
    [
        (51.5074, -0.1278),  # London
        (40.7128, -74.0060),  # New York
        (-33.8688, 151.2093),  # Sydney
        (1.2, 103.8),  # Singapore, south of the box
    ],
)
def test_it_leaves_points_outside_china_unchanged(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


# --- distances ------------------------------------------------------------------------------


def test_it_measures_one_degree_of_latitude_along_a_meridian():
    expected = math.pi * EARTH_RADIUS_M / 180  # 111 195.08 m
    assert distance_m(0, 0, 1, 0) == pytest.approx(expected, abs=0.01)
    assert distance_m(37.0, 115.6, 38.0, 115.6) == pytest.approx(expected, abs=0.01)


def test_it_measures_a_known_city_pair():
    # Beijing 天安门 → Shanghai 人民广场: about 1 067 km on the great circle.
    meters = distance_m(39.9087, 116.3975, 31.2304, 121.4737)
    assert meters == pytest.approx(1_067_000, rel=0.01)


def test_it_measures_distances_symmetrically_and_zero_for_the_same_point():
    assert distance_m(*A1_POINT, *A1_POINT) == 0
    assert distance_m(*A1_POINT, *B1_POINT) == pytest.approx(distance_m(*B1_POINT, *A1_POINT))
    # 河西 → 冀州 is some 21 km
    assert 18_000 < distance_m(*A1_POINT, *B1_POINT) < 25_000


# --- the grid -------------------------------------------------------------------------------


def test_it_locates_the_grid_cell_of_a_point_inside_the_city(city):
    cell = GridCell.locate(*A1_POINT)
    assert cell is not None
    assert cell.h3 == h3.latlng_to_cell(*A1_POINT, settings.GRID_RESOLUTION)
    assert cell.jurisdiction == city.station_a1
    assert cell.area_type == AreaType.URBAN


def test_it_locates_a_point_in_the_other_branch(city):
    cell = GridCell.locate(*B1_POINT)
    assert cell is not None
    assert cell.jurisdiction == city.station_b1


def test_it_returns_none_outside_the_city_grid(city):
    assert GridCell.locate(39.9, 116.4) is None  # Beijing
    assert GridCell.locate(0.0, 0.0) is None


def test_it_stores_the_cell_centre_on_save(city):
    cell = GridCell.locate(*A1_POINT)
    assert (cell.lat, cell.lon) == pytest.approx(h3.cell_to_latlng(cell.h3))


def test_it_rejects_an_invalid_h3_cell(city):
    cell = GridCell(h3="not-a-cell", jurisdiction=city.station_a1)
    with pytest.raises(ValidationError) as exc:
        cell.clean()
    assert "h3" in exc.value.message_dict


# --- arrival targets ------------------------------------------------------------------------


def test_it_takes_arrival_minutes_from_the_area_type(city):
    urban = GridCell.locate(*A1_POINT)
    suburban = GridCell.locate(*B1_POINT)
    assert urban.arrival_minutes() == 5
    assert suburban.arrival_minutes() == 10


def test_it_follows_a_changed_arrival_target(city):
    ArrivalTarget.objects.filter(area_type=AreaType.SUBURBAN).update(minutes=12)
    assert GridCell.locate(*B1_POINT).arrival_minutes() == 12
    assert GridCell.locate(*A1_POINT).arrival_minutes() == 5


def test_it_falls_back_to_the_default_targets_when_none_are_configured(db):
    ArrivalTarget.objects.all().delete()
    for area, minutes in DEFAULT_TARGET_MINUTES.items():
        assert ArrivalTarget.minutes_for(area) == minutes
    assert ArrivalTarget.minutes_for("unknown") == 20


def test_it_lets_a_cell_override_its_area_target(city):
    cell = GridCell.locate(*A1_POINT)
    cell.target_minutes = 3
    cell.save()
    assert GridCell.locate(*A1_POINT).arrival_minutes() == 3


def test_it_gives_a_new_incident_the_cells_arrival_target(city, call_data):
    cell = GridCell.locate(*A1_POINT)
    cell.target_minutes = 4
    cell.save()
    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    assert incident.target_minutes == 4
    assert (incident.arrival_due_at - incident.received_at).total_seconds() == 4 * 60


# --- patrol lines ---------------------------------------------------------------------------


def _line(city, points):
    return PatrolLine(name="人民路巡线", organization=city.station_a1, points=points)


def test_it_accepts_a_patrol_line_of_two_points(city):
    line = _line(city, [[37.735, 115.675], [37.740, 115.680]])
    line.clean()
    assert line.length_m() == pytest.approx(distance_m(37.735, 115.675, 37.740, 115.680))


def test_it_sums_the_length_of_a_patrol_line(city):
    points = [[37.735, 115.675], [37.740, 115.675], [37.740, 115.680]]
    line = _line(city, points)
    line.clean()
    assert line.length_m() == pytest.approx(distance_m(*points[0], *points[1]) + distance_m(*points[1], *points[2]))


def test_it_rejects_a_patrol_line_of_one_point(city):
    with pytest.raises(ValidationError) as exc:
        _line(city, [[37.735, 115.675]]).clean()
    assert "points" in exc.value.message_dict


@pytest.mark.parametrize(
    "points",
    [
        [],
        [[37.735, 115.675], [37.735, 115.675]],  # two points, but the same one
        "abc",
        [[37.735]],
        None,
    ],
)
def test_it_rejects_degenerate_or_malformed_patrol_lines(city, points):
    with pytest.raises(ValidationError) as exc:
        _line(city, points).clean()
    assert "points" in exc.value.message_dict
