"""End-to-end: the statistics screens name grid cells (河西派出所第1网格), never by H3 index."""

import re

import pytest

from anmin.geo.models import GridCell
from tests.browser import logged_in_page
from tests.conftest import A1_POINT
from tests.test_browser_stats import march, screenshot

pytestmark = pytest.mark.browser
H3_ID = re.compile(r"8[0-9a-f]{14}")


def test_the_grid_report_and_its_zero_cells_read_by_name(city, asgi_server, browser):
    march(city)
    cell = GridCell.locate(*A1_POINT)
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/?metric=incidents&period=2026-03&group_by=grid")
    page.wait_for_selector(f"#stats-table >> text={cell.name}")
    screenshot(page, "grid-names", full=True)
    assert not H3_ID.search(page.inner_text("main"))
    page.locator("details:has(#grid) > summary").click()
    assert page.get_attribute("#grid", "placeholder") == "河西派出所第1网格"  # the way to write one
    page.fill("#grid", cell.name)  # the filter box takes the name
    page.click("#run-report")
    page.wait_for_function("() => new URL(location.href).searchParams.get('grid') !== null")
    page.wait_for_selector("#stats-table")
    assert page.input_value("#grid") == cell.name
    assert not H3_ID.search(page.inner_text("main"))
    page.goto(f"{asgi_server.url}/stats/records/?metric=zero_incident_rate&period=2026-03&part=numerator")
    page.wait_for_selector("#records tr.record")
    screenshot(page, "grid-zero-records", full=True)
    text = page.inner_text("#records")
    assert "河西派出所第2网格" in text and cell.name not in text.split() and not H3_ID.search(text)
