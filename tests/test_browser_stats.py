"""End-to-end: build a report, drill into a figure, download the exports, watch the dashboard refresh."""

import re
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser import logged_in_page, shot
from tests.conftest import B1_POINT
from tests.test_stats_pages import A2_POINT, call

pytestmark = pytest.mark.browser
#: Building a PDF with an embedded CJK font takes seconds, more on a busy CI machine.
SLOW = 60_000


def march(city) -> None:
    for day, point, category in (
        (2, None, "0111"),
        (5, None, "0111"),
        (9, None, "0106"),
        (12, A2_POINT, "0201"),
        (15, B1_POINT, "0111"),
    ):
        kwargs = {"point": point} if point else {}
        call(city, f"2026-03-{day:02d} 10:00", category=category, **kwargs)
    call(city, "2025-03-03 10:00", category="0111")


def screenshot(page, name: str, *, full: bool = False) -> None:
    """Saved as <tmp>/stats-NAME.png, beside the shared test-artifacts/ ones, to be looked at."""
    page.screenshot(path=str(Path(tempfile.gettempdir()) / f"stats-{name}.png"), full_page=full)
    shot(page, f"stats-{name}")


def test_a_report_is_built_and_its_figure_opens_the_same_number_of_records(city, asgi_server, browser):
    march(city)
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/")
    page.click("#nav-stats")
    page.fill("#period", "2026-03")
    page.select_option("#group_by", "station")
    page.check("#rank")
    page.click("#run-report")
    page.wait_for_selector("#stats-result h2 >> text=2026年3月")
    assert "period=2026-03" in page.url  # htmx pushed the query into the address bar
    page.wait_for_selector("#stats-chart canvas")
    # Another report, then back: htmx restores the first one, chart and all.
    page.select_option("#group_by", "class")
    page.click("#run-report")
    page.wait_for_selector("#stats-table >> text=刑事")
    page.go_back()
    page.wait_for_selector("#stats-table >> text=河西派出所")
    page.wait_for_selector("#stats-chart canvas")
    assert page.locator("#stats-chart canvas").count() == 1
    rows = page.locator("#stats-table tbody tr")
    assert rows.count() == 4  # three stations and the total
    first = rows.nth(0)
    assert "河西派出所" in first.inner_text()
    figure = first.locator("a.fig[data-which=current]")
    shown = int(figure.inner_text())
    assert shown == 3
    screenshot(page, "builder")

    figure.click()
    page.wait_for_selector("#drill-count")
    assert int(page.inner_text("#drill-figure")) == shown
    assert re.search(rf"\b{shown}\b", page.inner_text("#drill-count"))
    assert page.locator("#records tr.record").count() == shown
    assert not page.is_visible("#drill-mismatch")
    screenshot(page, "records")

    page.go_back()
    baseline = page.locator("#stats-table tbody tr").nth(0).locator("a.fig[data-which=baseline]")
    assert int(baseline.inner_text()) == 1
    baseline.click()
    page.wait_for_selector("#drill-count")
    assert page.locator("#records tr.record").count() == 1
    assert "2025年3月" in page.inner_text("#drill-head")


def test_a_bad_period_is_shown_on_the_form(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/")
    page.fill("#period", "2026-13")
    page.click("#run-report")
    error = page.wait_for_selector("#stats-error")
    assert "period" in error.inner_text() and "2026-13" in error.inner_text()
    assert page.is_visible(".field-error #period")
    screenshot(page, "error")
    page.click("#stats-form [data-period]")  # a quick pick fills the field
    page.click("#run-report")
    page.wait_for_selector("#stats-table")
    assert not page.is_visible("#stats-error")


def test_a_baseline_out_of_range_is_shown_beside_compare(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/")
    page.fill("#period", "1000")
    page.select_option("#compare", "yoy")
    page.click("#run-report")
    error = page.wait_for_selector(".field-error #stats-error")  # in the compare field's own block
    assert error.get_attribute("data-field") == "compare" and "同比" in error.inner_text()
    assert page.is_visible(".field-error #compare")
    page.select_option("#compare", "")
    page.click("#run-report")
    page.wait_for_selector("#stats-table")
    assert not page.is_visible("#stats-error")


def test_a_pack_period_out_of_range_is_shown_beside_it(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/")
    page.fill("#pack-monthly-period", "9999-12")
    page.click("#pack-monthly-xlsx")
    error = page.wait_for_selector("#pack-error")
    assert "9999" in error.inner_text()
    assert page.input_value("#pack-monthly-period") == "9999-12"  # there to correct


def test_both_exports_and_the_pack_download(city, asgi_server, browser):
    march(city)
    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/?metric=incidents&period=2026-03&compare=yoy&group_by=class")
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        with page.expect_download(timeout=SLOW) as info:
            page.click(f"#export-{fmt}", timeout=SLOW)
        download = info.value
        assert download.suggested_filename.endswith(f".{fmt}")
        assert "警情数" in download.suggested_filename
        with open(download.path(), "rb") as f:
            assert f.read(4).startswith(magic)
    page.fill("#pack-monthly-period", "2026-03")
    with page.expect_download(timeout=SLOW) as info:
        page.click("#pack-monthly-pdf", timeout=SLOW)
    assert info.value.suggested_filename.endswith("2026年3月警情通报.pdf")
    with page.expect_download(timeout=SLOW) as info:
        page.click("#pack-weekly-xlsx", timeout=SLOW)
    assert info.value.suggested_filename.endswith("警情通报.xlsx")
    screenshot(page, "exports", full=True)


def test_the_dashboard_draws_its_charts_and_map_and_refreshes_itself(city, asgi_server, browser):
    today = timezone.localdate()
    for hour in range(3):
        call(city, f"{today.isoformat()} 0{hour}:10", category="0111" if hour else "0601")
    call(city, f"{today.isoformat()} 00:20", B1_POINT, category="0201")
    page = logged_in_page(browser, asgi_server, city.leader)
    page.clock.install()
    page.goto(f"{asgi_server.url}/stats/dashboard/")
    page.wait_for_selector("#chart-trend canvas")
    page.wait_for_selector("#chart-classes canvas")
    page.wait_for_selector("#dash-ranking tbody tr >> text=河西派出所")
    page.wait_for_selector("#dash-map .leaflet-overlay-pane canvas")
    page.wait_for_function("() => document.getElementById('dashboard').dataset.loads === '1'")
    assert page.get_attribute("#dashboard", "data-heat-cells") == "2"
    assert page.locator("#dash-kpis .kpi").count() == 4
    assert page.inner_text("#dash-kpis .kpi >> nth=0").split("\n")[1].startswith("4")
    assert "1" in page.inner_text("#heat-legend")
    screenshot(page, "dashboard", full=True)

    # A new call: the page shows it without a reload — after its notice over the live channel, or
    # within a minute by the poll while the socket is down. The notice arrives in real time, the
    # page's timers run on the test's clock: advance it until the refresh has run.
    call(city, f"{today.isoformat()} 00:40", category="0111")
    for _ in range(40):
        page.clock.run_for(2_000)
        if page.get_attribute("#dashboard", "data-loads") == "2":
            break
        page.wait_for_timeout(100)
    page.wait_for_function("() => document.getElementById('dashboard').dataset.loads === '2'")
    assert page.inner_text("#dash-kpis .kpi >> nth=0").split("\n")[1].startswith("5")


def test_the_outsiders_dashboard_is_their_station(city, asgi_server, browser):
    march(city)
    page = logged_in_page(browser, asgi_server, city.outsider)
    page.goto(f"{asgi_server.url}/stats/dashboard/?period=2026-03")
    page.wait_for_selector("#dash-ranking tbody tr >> text=冀州镇派出所")
    assert page.locator("#dash-ranking tbody tr").count() == 1
    # The maps (the grid map and the hotspot card's) draw every station's jurisdiction with its name
    # (public geography, like a street map); the figures, rankings and charts must stay the outsider's own.
    figures = page.evaluate(
        "() => { const m = document.querySelector('main').cloneNode(true);"
        " m.querySelectorAll('.leaflet-container').forEach((e) => e.remove()); return m.textContent; }"
    )
    assert "冀州镇" in figures
    assert "河西" not in figures
    screenshot(page, "dashboard-outsider")
