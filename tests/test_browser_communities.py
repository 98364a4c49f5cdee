"""End-to-end: a community's page shows its figures, its outline and access points on the map, and
every figure opens the records behind it; the list shows the 零发案小区率."""

import re

import pytest

from anmin.communities.actions import AddAccessPoint, AddGridWorker, SaveCommunity
from tests.browser import logged_in_page, shot
from tests.conftest import A1_POINT
from tests.test_communities import SQUARE, incident

pytestmark = pytest.mark.browser
LAT, LON = A1_POINT


def test_a_community_page_with_its_figures(city, asgi_server, browser):
    c = SaveCommunity(
        by=city.station_officer,
        data={
            "name": "桃园小区",
            "kind": "compound",
            "station": city.station_a1,
            "lat": LAT,
            "lon": LON,
            "boundary": SQUARE,
        },
    ).execute()
    SaveCommunity(
        by=city.station_officer,
        data={"name": "康宁小区", "kind": "compound", "station": city.station_a1, "lat": LAT - 0.01, "lon": LON},
    ).execute()
    AddAccessPoint(
        by=city.station_officer,
        community=c,
        data={"kind": "face", "name": "东门人脸门禁", "device_code": "TY-E-01", "lat": LAT, "lon": LON + 0.001},
    ).execute()
    AddGridWorker(by=city.station_officer, community=c, name="王秀兰", phone="13912345678").execute()
    theft = incident(city.station_a1, LAT, LON, "criminal", when="2026-03-10 10:00")
    incident(city.station_a1, LAT, LON, "help", when="2026-03-11 10:00")

    page = logged_in_page(browser, asgi_server, city.station_officer)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{asgi_server.url}/communities/?period=2026")
    page.wait_for_selector("#community-list")
    assert page.inner_text("#zero-rate strong") == "50.0%"
    shot(page, "communities-list")

    page.click("text=桃园小区")
    page.wait_for_selector("#community-map[data-drawn]")
    assert page.get_attribute("#community-map", "data-drawn") == "2"  # the outline and one access point
    assert not errors, errors
    assert page.inner_text("#zero-flag") == "有发案"
    assert page.inner_text("#counting-count") == "1" and page.inner_text("#incident-count") == "2"
    text = page.inner_text("main")
    assert "王**" in text and "王秀兰" not in text and "139****5678" in text
    assert not re.search(r"8[0-9a-f]{14}", text)
    shot(page, "community-page")

    page.click("#counting-count")
    page.wait_for_selector("#records tr.record")
    assert page.inner_text("#records tr.record td >> nth=0") == theft.number
    shot(page, "community-records")
