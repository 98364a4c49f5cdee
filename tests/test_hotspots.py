"""Hotspots: recency weighting, smoothing over neighbours, time bands, the classes counted, the API's scope."""

from datetime import timedelta

import h3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anmin.geo.models import GridCell
from anmin.patrol import hotspots
from anmin.patrol.hotspots import Band, Params
from tests.conftest import A1_POINT
from tests.patrol_helpers import at, incident

CELL = h3.latlng_to_cell(*A1_POINT, 8)
NOW = at("2026-06-10T12:00:00")  # a Wednesday
NO_SMOOTHING = Params(neighbour_weight=0.0)


def test_an_incident_one_half_life_old_counts_half():
    events = [(CELL, NOW), (CELL, NOW - timedelta(days=28)), (CELL, NOW - timedelta(days=56))]
    assert hotspots.scores(events, NOW, None, NO_SMOOTHING) == pytest.approx({CELL: 1 + 0.5 + 0.25})


def test_incidents_outside_the_window_or_after_now_are_not_counted():
    events = [(CELL, NOW - timedelta(days=366)), (CELL, NOW + timedelta(minutes=1))]
    assert hotspots.scores(events, NOW, None, NO_SMOOTHING) == {}


def test_each_neighbour_receives_a_fifth_of_a_cells_score():
    result = hotspots.scores([(CELL, NOW)], NOW, None, Params())
    neighbours = set(h3.grid_disk(CELL, 1)) - {CELL}
    assert result[CELL] == pytest.approx(1.0)
    assert {c: round(result[c], 6) for c in neighbours} == dict.fromkeys(neighbours, 0.2)
    assert len(result) == 7


def test_smoothing_stays_inside_the_grid():
    inside = {CELL, next(iter(set(h3.grid_disk(CELL, 1)) - {CELL}))}
    result = hotspots.scores([(CELL, NOW)], NOW, None, Params(), cells=inside)
    assert set(result) == inside


def test_two_hot_neighbours_warm_each_other():
    other = next(iter(set(h3.grid_disk(CELL, 1)) - {CELL}))
    result = hotspots.scores([(CELL, NOW), (other, NOW), (other, NOW)], NOW, None, Params())
    assert result[CELL] == pytest.approx(1 + 0.2 * 2)
    assert result[other] == pytest.approx(2 + 0.2 * 1)


def test_bands_split_the_day_and_the_week():
    weekday_night = Band(20, 0, weekend=False)
    events = [
        (CELL, at("2026-06-09T21:30:00")),  # Tuesday night: counted
        (CELL, at("2026-06-06T21:30:00")),  # Saturday night: a weekend
        (CELL, at("2026-06-09T19:59:00")),  # Tuesday before 20:00
        (CELL, at("2026-06-09T23:59:00")),  # Tuesday, last minute of the band: counted
    ]
    result = hotspots.raw_scores(events, NOW, weekday_night, NO_SMOOTHING)
    age1 = (NOW - at("2026-06-09T21:30:00")).total_seconds() / 86400
    age2 = (NOW - at("2026-06-09T23:59:00")).total_seconds() / 86400
    assert result[CELL] == pytest.approx(0.5 ** (age1 / 28) + 0.5 ** (age2 / 28))


def test_the_twelve_bands_hold_every_hour_of_the_week_once():
    for day in range(7):
        for hour in range(24):
            moment = at(f"2026-06-{8 + day:02d}T{hour:02d}:30:00")
            assert sum(1 for b in hotspots.BANDS if b.holds(moment)) == 1


def test_a_night_shift_band_wraps_past_midnight():
    assert Band(20, 8).hours == frozenset([*range(20, 24), *range(8)])


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 23)), max_size=30))
def test_scores_never_grow_when_the_history_ages(offsets):
    events = [(CELL, NOW - timedelta(days=d, hours=h)) for d, h in offsets]
    now_score = hotspots.scores(events, NOW, None, NO_SMOOTHING).get(CELL, 0.0)
    later = NOW + timedelta(days=30)
    assert hotspots.scores(events, later, None, NO_SMOOTHING).get(CELL, 0.0) <= now_score + 1e-9


@pytest.fixture
def a1_cell(city):
    return GridCell.objects.get(pk=h3.latlng_to_cell(*A1_POINT, 8))


def test_only_criminal_and_public_order_incidents_are_counted(city, a1_cell, settings):
    now = at("2026-06-10T12:00:00")
    incident(a1_cell, now - timedelta(days=1), "0110")  # 盗窃: criminal
    incident(a1_cell, now - timedelta(days=1), "0201")  # 殴打他人: public order
    incident(a1_cell, now - timedelta(days=1), "0301")  # 交通事故: the traffic police's
    events = hotspots.load_events(now, Params())
    assert len(events) == 2


def test_the_api_shows_the_hot_cells_by_name_and_level(city, a1_cell, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T23:00:00"))
    for days in (1, 2, 8):
        incident(a1_cell, at("2026-06-10T12:00:00") - timedelta(days=days))
    body = city.api(city.station_officer).get("/api/v1/hotspots?band=all").json()
    assert body["band"] == "all"
    assert len(body["bands"]) == 12
    top = body["cells"][0]
    assert top["name"] == a1_cell.name and top["station"] == "河西派出所" and top["level"] == 4
    assert all(c["station"] == "河西派出所" for c in body["cells"])  # smoothed only into A1's own cells here


def test_it_denies_another_station_its_hotspots(city, a1_cell, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T23:00:00"))
    incident(a1_cell, at("2026-06-09T12:00:00"))
    client = city.api(city.outsider)
    assert client.get(f"/api/v1/hotspots?band=all&station={city.station_a1.pk}").status_code == 404
    assert client.get("/api/v1/hotspots?band=all").json()["cells"] == []


def test_a_bad_band_is_named(city):
    response = city.api(city.station_officer).get("/api/v1/hotspots?band=noon")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "band"
