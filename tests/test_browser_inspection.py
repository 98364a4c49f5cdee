"""End-to-end: the 受案立案审查巡查 page of a bureau supervisor with more rows than fit on a page —
it pages, narrows to one unit from the filter, and shows no internal id."""

import re

import pytest

from anmin.incidents.models import Incident
from anmin.org.models import Role
from anmin.supervision.views import INSPECTION_PAGE_SIZE
from tests.browser import logged_in_page, shot
from tests.conftest import B1_POINT
from tests.factories import OfficerFactory
from tests.test_supervision_pages import FIRST_ID, H3_CELL, idle, reported_incidents, start_ids_at

pytestmark = pytest.mark.browser


def test_the_supervisor_pages_through_and_narrows_to_one_unit(city, asgi_server, browser, call_data):
    legal = OfficerFactory(username="legal", organization=city.bureau, role=Role.LEGAL, full_name="钱法制")
    start_ids_at(Incident, FIRST_ID)
    taocheng = reported_incidents(city, call_data, INSPECTION_PAGE_SIZE + 8)
    jizhou = reported_incidents(city, call_data, 3, point=B1_POINT)
    idle(city, 2)

    page = logged_in_page(browser, asgi_server, legal)
    page.goto(f"{asgi_server.url}/supervision/inspection/")
    page.wait_for_selector("#inspection-incidents tr.inspection-row")
    total = len(taocheng) + len(jizhou)
    assert page.inner_text("#incident-count") == str(total)
    assert len(page.query_selector_all("#inspection-incidents tr.inspection-row")) == INSPECTION_PAGE_SIZE
    assert f"第 1 / 2 页，共 {total} 条" in page.inner_text("#incidents-pager")
    assert page.query_selector("#cases-pager") is None  # two idle cases fit on one page

    page.click("#incidents-pager [data-role=next]")
    page.wait_for_url("**/supervision/inspection/?incident_page=2")
    assert len(page.query_selector_all("#inspection-incidents tr.inspection-row")) == total - INSPECTION_PAGE_SIZE
    assert "第 2 / 2 页" in page.inner_text("#incidents-pager")
    assert len(page.query_selector_all("#inspection-cases tr.inspection-row")) == 2  # its own list, own page

    page.select_option("#org", city.branch_b.code)
    page.click("#inspection-filter button")
    page.wait_for_url(f"**/supervision/inspection/?org={city.branch_b.code}")
    rows = page.query_selector_all("#inspection-incidents tr.inspection-row")
    assert {r.get_attribute("id") for r in rows} == {f"incident-{i.pk}" for i in jizhou}
    assert page.inner_text("#incident-count") == "3"
    assert page.query_selector("#incidents-pager") is None
    assert page.inner_text("#inspection-cases tbody") == "无"
    assert page.eval_on_selector("#org", "el => el.selectedOptions[0].textContent.trim()") == city.branch_b.name

    page.select_option("#org", city.branch_a.code)
    page.click("#inspection-filter button")
    page.wait_for_url(f"**/supervision/inspection/?org={city.branch_a.code}")
    assert f"第 1 / 2 页，共 {len(taocheng)} 条" in page.inner_text("#incidents-pager")
    text = page.inner_text("body")
    for incident in taocheng + jizhou:
        assert not re.search(rf"(?<!\d){incident.pk}(?!\d)", text)
    assert not H3_CELL.search(text)
    # Tall enough for the filter, the fifty rows and the pager in one picture.
    page.set_viewport_size({"width": 1600, "height": 3000})
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "inspection-pager")
