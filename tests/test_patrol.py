"""Patrol plans (points within reach, the line's order), coverage from fixes (time present, distance,
gaps, jumps), the position history kept from dispatch's reports, and who may see and make plans."""

from datetime import date, timedelta

import h3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anmin.core.errors import Denied
from anmin.dispatch.actions import ReportPosition
from anmin.dispatch.models import UnitKind
from anmin.geo.coords import distance_m
from anmin.geo.models import GridCell
from anmin.patrol import coverage, planning
from anmin.patrol.actions import GeneratePatrolPlans, RecordPositionFix, shift_bounds
from anmin.patrol.models import PatrolPlan, PositionFix
from tests.conftest import A1_POINT
from tests.factories import UnitFactory
from tests.patrol_helpers import at, incident

DAY = date(2026, 6, 10)  # a Wednesday


def cand(cell, score):
    lat, lon = h3.cell_to_latlng(cell)
    return planning.Candidate(cell, f"第{cell[-3:]}网格", lat, lon, score)


# --- choosing points and ordering the line ------------------------------------------------------


def test_points_are_the_hottest_within_reach_and_not_taken():
    centre = h3.latlng_to_cell(*A1_POINT, 8)
    ring1 = sorted(set(h3.grid_disk(centre, 1)) - {centre})
    far = sorted(set(h3.grid_ring(centre, 6)))[0]
    cands = [cand(centre, 1.0), cand(ring1[0], 5.0), cand(ring1[1], 3.0), cand(ring1[2], 0.0), cand(far, 50.0)]
    chosen = planning.choose_points(A1_POINT, cands, reach_m=1200, count=3, taken={ring1[1]})
    assert [c.cell for c in chosen] == [ring1[0], centre]  # the far one out of reach, a zero score never
    for c in chosen:
        assert distance_m(*A1_POINT, c.lat, c.lon) <= 1200


def test_the_line_is_a_nearest_neighbour_tour_from_the_base_and_back():
    base = (37.70, 115.60)
    p = [planning.Candidate(str(i), str(i), 37.70, 115.60 + d, 1.0) for i, d in enumerate((0.03, 0.01, 0.02))]
    ordered = planning.tour(base, p)
    assert [c.cell for c in ordered] == ["1", "2", "0"]
    assert [pytest.approx(p) for p in planning.line(base, ordered)] == [
        [37.70, 115.60],
        [37.70, 115.61],
        [37.70, 115.62],
        [37.70, 115.63],
        [37.70, 115.60],
    ]
    assert planning.line(base, []) == []


@pytest.fixture
def history(city):
    """Thefts in three of A1's cells the weeks before DAY, daytime, the centre cell hottest."""
    centre = GridCell.objects.get(pk=h3.latlng_to_cell(*A1_POINT, 8))
    ring = sorted(set(h3.grid_disk(centre.h3, 1)) - {centre.h3})
    cells = [centre, GridCell.objects.get(pk=ring[0]), GridCell.objects.get(pk=ring[3])]
    for n, cell in zip((6, 3, 2), cells, strict=True):
        for week in range(n):
            incident(cell, at("2026-06-03T10:00:00") - timedelta(days=7 * week))  # Wednesdays at 10:00
    return cells


def test_plans_are_made_for_each_patrolling_unit_of_the_station(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    foot = UnitFactory(
        callsign="河西步01", kind=UnitKind.FOOT, organization=city.station_a1, lat=A1_POINT[0], lon=A1_POINT[1]
    )
    plans = GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
    assert {p.unit.callsign for p in plans} == {"河西01", "河西步01"}
    start, end = shift_bounds(DAY, "day")
    assert (start, end) == (at("2026-06-10T08:00:00"), at("2026-06-10T20:00:00"))
    car = next(p for p in plans if p.unit == city.patrol_car)
    walker = next(p for p in plans if p.unit == foot)
    # The car is planned first (call signs in order) and takes the hottest cells; the foot team the rest.
    assert car.points[0]["cell"] == history[0].h3 or {p["cell"] for p in car.points} >= {history[0].h3}
    assert not {p["cell"] for p in car.points} & {p["cell"] for p in walker.points}
    for plan in plans:
        base = tuple(plan.params["base"])
        assert plan.line[0] == list(base) == plan.line[-1]
        assert all(distance_m(*base, p["lat"], p["lon"]) <= plan.params["reach_m"] for p in plan.points)
        assert plan.params["band"] == "weekday-08-20" and plan.params["half_life_days"] == 28.0
    assert "h3" not in str([p["name"] for p in car.points])


def test_generating_again_replaces_the_shifts_plans(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    for _ in range(2):
        GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="night", by=city.station_officer).execute()
    assert PatrolPlan.objects.filter(unit=city.patrol_car).count() == 1
    assert PatrolPlan.objects.get(unit=city.patrol_car).shift_end == at("2026-06-11T08:00:00")


def test_it_denies_another_station_making_a1s_plans(city):
    with pytest.raises(Denied):
        GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.outsider).execute()
    with pytest.raises(Denied):
        GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.patrol_officer).execute()
    assert not PatrolPlan.objects.exists()


# --- coverage --------------------------------------------------------------------------------------

P = (37.7350, 115.6750)
NEAR = (37.7355, 115.6752)  # ~60 m from P
FAR = (37.7450, 115.6750)  # ~1.1 km north


def fixes(*rows):
    t0 = at("2026-06-10T09:00:00")
    return [(lat, lon, t0 + timedelta(minutes=m)) for m, (lat, lon) in rows]


def test_time_present_counts_intervals_starting_within_the_radius():
    result = coverage.measure([P, FAR], fixes((0, NEAR), (2, NEAR), (5, P), (6, FAR), (8, FAR)))
    assert result.present_s == [6 * 60, 2 * 60]
    assert result.visited == 2 and result.share == 1.0


def test_a_gap_longer_than_ten_minutes_counts_neither_time_nor_distance():
    result = coverage.measure([P], fixes((0, P), (11, FAR), (12, FAR)))
    assert result.present_s == [0.0]
    assert result.gaps == 1
    assert result.distance_m == pytest.approx(0.0)
    assert result.share == 0.0


def test_distance_sums_steps_and_drops_an_impossible_jump():
    step = distance_m(*P, *NEAR)
    # 1.1 km in 10 s is 400 km/h: a bad fix, its step not counted.
    t0 = at("2026-06-10T09:00:00")
    rows = [(*P, t0), (*NEAR, t0 + timedelta(minutes=1)), (*FAR, t0 + timedelta(minutes=1, seconds=10))]
    result = coverage.measure([], rows, UnitKind.PATROL_CAR)
    assert result.distance_m == pytest.approx(step)
    assert result.jumps == 1


def test_a_foot_team_cannot_drive():
    # 1.1 km in two minutes is 33 km/h: a car may, a foot team may not.
    rows = fixes((0, P), (2, FAR))
    assert coverage.measure([], rows, UnitKind.PATROL_CAR).jumps == 0
    assert coverage.measure([], rows, UnitKind.FOOT).jumps == 1


def test_a_reported_position_is_kept_in_the_history(city, monkeypatch, django_capture_on_commit_callbacks):
    now = at("2026-06-10T09:00:00")
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    with django_capture_on_commit_callbacks(execute=True):
        ReportPosition(unit=city.patrol_car, lat=37.736, lon=115.677, by=city.patrol_officer).execute()
    fix = PositionFix.objects.get(unit=city.patrol_car)
    assert (fix.lat, fix.lon, fix.at) == (37.736, 115.677, now)


def test_the_api_reports_each_plans_coverage_and_the_stations(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    (plan,) = GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
    first = plan.points[0]
    t0 = at("2026-06-10T09:00:00")
    for minute in (0, 3, 6, 30):  # 6 minutes at the first point, then a gap of 24 minutes
        RecordPositionFix(
            unit=city.patrol_car, lat=first["lat"], lon=first["lon"], at=t0 + timedelta(minutes=minute)
        ).execute()
    body = (
        city.api(city.station_officer)
        .get(f"/api/v1/patrol/plans?station={city.station_a1.pk}&date=2026-06-10&shift=day")
        .json()
    )
    (row,) = body["plans"]
    assert row["unit"] == "河西01"
    assert row["points"][0]["present_s"] == 360 and row["points"][0]["visited"] is True
    assert row["coverage"]["gaps"] == 1
    assert body["totals"]["visited"] == 1 and body["totals"]["points"] == len(plan.points)
    one = city.api(city.station_officer).get(f"/api/v1/patrol/plans/{plan.pk}").json()
    assert one["coverage"]["visited"] == 1


def test_it_denies_another_station_a1s_plans(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    (plan,) = GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
    client = city.api(city.outsider)
    assert client.get(f"/api/v1/patrol/plans/{plan.pk}").status_code == 404
    assert client.get(f"/api/v1/patrol/plans?station={city.station_a1.pk}").status_code == 404
    assert city.api(city.leader).get(f"/api/v1/patrol/plans/{plan.pk}").status_code == 200


# --- the pages -------------------------------------------------------------------------------------


def test_the_station_page_lists_the_shifts_plans_by_call_sign_and_cell_name(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    (plan,) = GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
    page = city.login(city.station_officer).get(f"/patrol/{city.station_a1.pk}/?date=2026-06-10&shift=day")
    text = page.content.decode()
    assert page.status_code == 200
    assert "河西01" in text and plan.points[0]["name"] in text
    assert plan.points[0]["cell"] not in text  # no H3 index a user reads


def test_the_generate_button_makes_the_plans_and_returns_to_the_shift(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    response = city.login(city.station_officer).post(
        f"/patrol/{city.station_a1.pk}/generate/", {"date": "2026-06-10", "shift": "night"}
    )
    assert response.status_code == 302 and "shift=night" in response["Location"]
    assert PatrolPlan.objects.get().shift == "night"


def test_a_bad_shift_is_refused_with_nothing_written(city):
    client = city.login(city.station_officer)
    response = client.post(f"/patrol/{city.station_a1.pk}/generate/", {"date": "2026-06-10", "shift": "noon"})
    assert response.status_code == 302
    assert not PatrolPlan.objects.exists()
    page = client.get(f"/patrol/{city.station_a1.pk}/?date=not-a-day")
    assert page.status_code == 200 and "日期" in page.content.decode()


def test_the_coverage_and_print_pages_show_the_figures(city, history, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    (plan,) = GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
    first = plan.points[0]
    t0 = at("2026-06-10T09:00:00")
    for minute in range(0, 12, 2):
        RecordPositionFix(
            unit=city.patrol_car, lat=first["lat"], lon=first["lon"], at=t0 + timedelta(minutes=minute)
        ).execute()
    client = city.login(city.station_officer)
    text = client.get(f"/patrol/{city.station_a1.pk}/coverage/?date=2026-06-10&shift=day").content.decode()
    assert "已到" in text and "未到" in text and f"1 / {len(plan.points)}" in text
    printed = client.get(f"/patrol/{city.station_a1.pk}/print/?date=2026-06-10&shift=day").content.decode()
    assert first["name"] in printed


def test_it_denies_another_station_the_patrol_pages(city):
    client = city.login(city.outsider)
    for suffix in ("", "coverage/", "print/"):
        assert client.get(f"/patrol/{city.station_a1.pk}/{suffix}").status_code == 404
    assert (
        client.post(f"/patrol/{city.station_a1.pk}/generate/", {"date": "2026-06-10", "shift": "day"}).status_code
        == 404
    )
    assert not PatrolPlan.objects.exists()
    assert client.get("/patrol/")["Location"] == f"/patrol/{city.station_b1.pk}/"


def test_the_pages_cost_the_same_queries_for_one_unit_or_many(city, history, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-06-10T07:00:00"))
    client = city.login(city.station_officer)
    urls = [f"/patrol/{city.station_a1.pk}/{s}?date=2026-06-10&shift=day" for s in ("", "coverage/", "print/")]

    def cost():
        GeneratePatrolPlans(station=city.station_a1, day=DAY, shift="day", by=city.station_officer).execute()
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    cost()  # the first request fills the per-process caches (menu, session)
    one = cost()
    for n in range(4):
        UnitFactory(
            callsign=f"河西步0{n}", kind=UnitKind.FOOT, organization=city.station_a1, lat=A1_POINT[0], lon=A1_POINT[1]
        )
    assert cost() == one


@given(
    st.lists(
        st.tuples(st.floats(37.72, 37.75), st.floats(115.66, 115.69), st.integers(1, 1200)),
        max_size=40,
    )
)
def test_coverage_never_counts_more_time_than_the_track_spans(rows):
    t, track = at("2026-06-10T09:00:00"), []
    for lat, lon, step in rows:
        t += timedelta(seconds=step)
        track.append((lat, lon, t))
    result = coverage.measure([P, FAR], track)
    span = (track[-1][2] - track[0][2]).total_seconds() if track else 0
    assert all(0 <= s <= span for s in result.present_s)
    assert result.distance_m >= 0 and 0 <= result.visited <= 2
    assert result.gaps + result.jumps <= max(0, len(track) - 1)
