"""End-to-end: the hotspot layer on the board map and the leader's dashboard, a station's plans on
its map, and the coverage page — named by grid names, never an H3 index."""

import re
from datetime import timedelta

import h3
import pytest
from django.utils import timezone

from anmin.geo.models import GridCell
from anmin.patrol.actions import GeneratePatrolPlans, RecordPositionFix
from anmin.patrol.forms import current_shift
from tests.browser import logged_in_page, shot
from tests.conftest import A1_POINT
from tests.patrol_helpers import incident

pytestmark = pytest.mark.browser
H3_ID = re.compile(r"8[0-9a-f]{14}")


def thefts(city):
    """Thefts every three hours of the past two weeks in A1's centre cell, fewer around it: every band is hot."""
    centre = GridCell.objects.get(pk=h3.latlng_to_cell(*A1_POINT, 8))
    ring = sorted(set(h3.grid_disk(centre.h3, 1)) - {centre.h3})
    now = timezone.now()
    for i in range(14 * 8):
        when = now - timedelta(hours=3 * i + 1)
        incident(centre, when)
        if i % 2 == 0:
            incident(GridCell.objects.get(pk=ring[i % 6]), when)
        if i % 5 == 0:
            incident(GridCell.objects.get(pk=ring[(i + 3) % 6]), when, "0201")
    return centre


def test_the_board_map_shows_the_hotspot_layer_by_cell_name(city, asgi_server, browser):
    centre = thefts(city)
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(f"{asgi_server.url}/board/")
    page.hover(".leaflet-control-layers")
    page.get_by_label("警情热点").check()
    page.wait_for_function("() => Number(document.getElementById('map').dataset.hotspots || 0) > 0")
    legend = page.locator(".hotspot-legend")
    assert "警情热点" in legend.inner_text() and "时段" in legend.inner_text()
    page.mouse.move(10, 10)
    shot(page, "patrol-board-hotspots")
    page.select_option(".hotspot-legend select", "all")
    page.wait_for_function("() => document.querySelector('.hotspot-legend select').value === 'all'")
    assert not H3_ID.search(page.inner_text("body"))
    assert centre.name  # named cells only


def test_the_dashboard_shows_the_hotspot_map(city, asgi_server, browser):
    thefts(city)
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/dashboard/")
    page.wait_for_function("() => Number(document.getElementById('hotspot-map').dataset.hotspots || 0) > 0")
    page.locator("#hotspot-map").scroll_into_view_if_needed()
    shot(page, "patrol-dashboard-hotspots")
    assert not H3_ID.search(page.inner_text("body"))


def test_a_stations_plans_and_their_coverage(city, asgi_server, browser):
    thefts(city)
    day, shift = current_shift()
    (plan,) = GeneratePatrolPlans(station=city.station_a1, day=day, shift=shift, by=city.station_officer).execute()
    t0 = plan.shift_start + timedelta(minutes=30)
    walk = [plan.points[0]] * 6 + [plan.points[1]] * 4  # the first two points, the rest missed
    for n, p in enumerate(walk):
        RecordPositionFix(unit=city.patrol_car, lat=p["lat"], lon=p["lon"], at=t0 + timedelta(minutes=2 * n)).execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/patrol/")
    page.wait_for_function("() => document.getElementById('patrol-map').dataset.plans === '1'")
    page.wait_for_function("() => Number(document.getElementById('patrol-map').dataset.hotspots || 0) > 0")
    assert plan.points[0]["name"] in page.inner_text("main")
    shot(page, "patrol-station-plans")
    page.click("text=巡逻覆盖")
    page.wait_for_selector(".patrol-totals")
    text = page.inner_text("main")
    assert f"2 / {len(plan.points)}" in text and "未到" in text
    assert not H3_ID.search(text)
    shot(page, "patrol-coverage")
