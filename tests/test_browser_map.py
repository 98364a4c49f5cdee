"""The maps in a real browser: the board draws 衡水's county lines and names and the stations'
jurisdictions under its own layers, with Chinese zoom titles, our attribution and the legend."""

import re

import pytest

from tests.browser import logged_in_page, shot
from tests.test_browser_csp import Watch, portal_page

pytestmark = pytest.mark.browser

VISIBLE_STATION = ".anmin-label-station:not([style*='display: none']) span"
VISIBLE_COUNTY = ".anmin-label-county:not([style*='display: none']) span"


def visible_texts(page, selector: str) -> set[str]:
    return set(page.locator(selector).all_inner_texts())


def test_the_board_draws_counties_and_jurisdictions_under_its_markers(city, asgi_server, browser):
    watch = Watch()
    page = watch.attach(logged_in_page(browser, asgi_server, city.dispatcher))
    page.goto(f"{asgi_server.url}/board/")
    # The dispatcher sees the whole test city: the map opens on its stations, names on.
    page.wait_for_selector(".anmin-label-station span", state="attached")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.anmin-label-station')].some((e) => e.style.display !== 'none')"
    )
    stations = visible_texts(page, VISIBLE_STATION)
    assert stations <= {"河西派出所", "河东派出所", "冀州镇派出所"} and "河西派出所" in stations
    # Every county is drawn (its name is in the DOM), shown or held back by zoom and clutter.
    names = set(page.locator(".anmin-label-county span").all_text_contents())
    assert {"桃城区", "冀州区", "枣强县", "武邑县", "深州市", "景县"} <= names and len(names) == 11
    # Zoom controls in Chinese, our attribution without Leaflet's flag.
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "放大"
    assert page.get_attribute(".leaflet-control-zoom-out", "title") == "缩小"
    attribution = page.locator(".leaflet-control-attribution")
    assert "安民" in attribution.inner_text() and "Leaflet" not in attribution.inner_text()
    assert attribution.locator("svg").count() == 0
    assert "派出所辖区为近似范围" in page.locator(".anmin-legend").inner_text()
    # The boundaries lie below the page's own layers (overlay 400, markers 600) and take no click.
    z = page.evaluate(
        "() => ['anminJurisdictions', 'anminCounties', 'anminLabels'].map("
        "(n) => Number(getComputedStyle(document.querySelector('.leaflet-' + n + '-pane')).zIndex))"
    )
    assert max(z) < 400
    page.wait_for_load_state("networkidle")
    shot(page, "map-boundaries-stations")
    # Zoomed out, the county names appear and the station names give way.
    for _ in range(3):
        page.click(".leaflet-control-zoom-out")
        page.wait_for_timeout(400)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.anmin-label-county')].some((e) => e.style.display !== 'none')"
    )
    counties = visible_texts(page, VISIBLE_COUNTY)
    assert "桃城区" in counties and "冀州区" in counties
    assert not visible_texts(page, VISIBLE_STATION)
    shot(page, "map-boundaries")
    watch.check()


def test_the_english_board_labels_its_legend_in_english(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": asgi_server.url}])
    page.goto(f"{asgi_server.url}/board/")
    page.wait_for_selector(".anmin-legend")
    legend = page.locator(".anmin-legend").inner_text()
    assert "Station areas are approximate" in legend
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoom in"
    assert re.search(r"[桃冀]", page.locator(".anmin-label-county span").first.inner_text())  # names stay Chinese


def test_the_dashboard_and_an_anonymous_tip_map_draw_the_boundaries_too(city, asgi_server, browser):
    watch = Watch()
    page = watch.attach(logged_in_page(browser, asgi_server, city.leader))
    page.goto(f"{asgi_server.url}/stats/dashboard/")
    page.wait_for_selector(".anmin-legend")
    # The main map (the hotspot card's map draws the same county lines again).
    assert page.locator("#dash-map .anmin-label-county span").count() == 11
    page.wait_for_load_state("networkidle")
    shot(page, "map-boundaries-dashboard")
    # A tip is sent without signing in: its map picker draws the same layers (the route is public).
    tip = watch.attach(portal_page(browser, asgi_server))
    tip.goto(f"{asgi_server.url}/portal/reports/tips/new/")
    tip.wait_for_selector(".r-map .anmin-legend")
    tip.wait_for_function(
        "() => [...document.querySelectorAll('.anmin-label-station')].some((e) => e.style.display !== 'none')"
    )
    assert "河西派出所" in visible_texts(tip, VISIBLE_STATION)
    assert tip.locator(".anmin-legend").inner_text().strip() == "派出所辖区为近似范围"  # a phone: the caveat alone
    tip.locator(".r-map").scroll_into_view_if_needed()
    tip.wait_for_load_state("networkidle")
    shot(tip, "map-boundaries-portal")
    watch.check()
