"""End-to-end: a dispatcher opens a missing-person case from a 110 incident (the form starts with
the call's place and time), the station's work group is alerted, and the person is marked found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anmin.incidents.actions import ReceiveCall
from anmin.missing import broadcast
from anmin.missing.broadcast_actions import SaveGroup
from anmin.missing.models import MissingCase
from tests.browser import logged_in_page, shot
from tests.conftest import A1_POINT
from tests.files import PNG
from tests.test_missing_broadcast import ensure_ring_rules

pytestmark = pytest.mark.browser


def test_a_case_opened_from_a_110_incident_is_alerted_and_marked_found(city, asgi_server, browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.MISSING_BROADCAST_TRANSPORT = "log"  # no webhook leaves the test
    ensure_ring_rules()  # a transactional test before this one may have flushed the seeded rules
    SaveGroup(
        by=city.station_officer,
        data={
            "name": "河西派出所值班群",
            "kind": "wecom",
            "org": city.station_a1.code,
            "webhook_url": "http://127.0.0.1:9/hook",
        },
    ).execute()
    incident, _ = ReceiveCall(
        data={
            "caller_phone": "13800138000",
            "category": "0503",
            "address": "河西村村委会门口",
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
            "description": "一位老人在村口徘徊，说不清住址",
        },
        by=city.dispatcher,
    ).execute()
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)

    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(f"{asgi_server.url}/incidents/{incident.pk}/")
    page.click("#open-missing-case")
    page.wait_for_selector("#case-form")
    assert page.input_value("input[name=last_seen_place]") == "河西村村委会门口"
    assert page.input_value("input[name=lat]") == f"{A1_POINT[0]:.6f}"
    page.wait_for_selector("#pick-map .leaflet-marker-icon")
    page.fill("input[name=full_name]", "刘德顺")
    page.select_option("select[name=category]", "elderly")
    page.select_option("select[name=sex]", "M")
    page.fill("input[name=age]", "81")
    page.fill("textarea[name=description]", "深蓝色棉袄、黑布鞋，患阿尔茨海默病")
    page.set_input_files("input[name=photo]", str(photo))
    shot(page, "missing-case-from-incident-form")
    page.click("#submit-case")
    page.wait_for_selector("#case-card")
    case = MissingCase.objects.get()
    assert case.incident == incident and case.station == city.station_a1
    text = page.inner_text("#case-card")
    assert "刘**" in text and "刘德顺" not in text and incident.number in text
    assert page.locator("#case-card img.mc-photo").evaluate("img => img.naturalWidth") > 0

    # The broadcast's task would run within the minute under `anmin db_worker`; here it runs now.
    broadcast.advance(case, now=timezone.now() + timedelta(seconds=30))
    page.reload()
    page.wait_for_selector("#broadcast .broadcast-sends")
    assert "河西派出所值班群" in page.inner_text("#broadcast")
    page.wait_for_selector("#case-map .leaflet-marker-icon")
    shot(page, "missing-case-alerted")

    page.fill("#found-form input[name=where]", "河西村村委会")
    page.fill("#found-form input[name=found_by]", "村党支部书记")
    page.click("#mark-found")
    page.wait_for_selector("#case-status:has-text('已找到')")
    case.refresh_from_db()
    assert case.status == MissingCase.Status.FOUND
    broadcast.advance(case, now=timezone.now() + timedelta(minutes=1))
    page.reload()
    page.wait_for_selector("#found-at")
    assert page.locator("#found-form").count() == 0
    assert "已找到，地点：河西村村委会" in page.inner_text("#clues")
    shot(page, "missing-case-found")

    # The list: filtered to found cases, the name masked.
    page.goto(f"{asgi_server.url}/missing/")
    page.select_option("#case-filters select[name=status]", "found")
    page.click("#case-filters button")
    page.wait_for_selector(f"#case-list >> text={case.number}")
    row = page.inner_text("#case-list tbody")
    assert "刘**" in row and "已找到" in row and "刘德顺" not in row
    shot(page, "missing-case-list")
