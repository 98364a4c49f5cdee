"""基层工作 in the browser: the hub's figures and the way into a section, with the menu entry lit there."""

import pytest

from tests.browser import logged_in_page, shot
from tests.test_grassroots import work  # noqa: F401 - the fixture: a community, leads, disputes, a case

pytestmark = pytest.mark.browser


def test_browser_hub_leads_to_each_section(asgi_server, browser, city, work):  # noqa: F811 - the imported fixture
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(asgi_server.url + "/grassroots/")
    assert page.locator("#gr-disputes b").first.inner_text() == "3"
    shot(page, "grassroots-hub")
    page.click("#gr-disputes h2 a")
    page.wait_for_url("**/disputes/")
    assert page.locator("#nav-grassroots.on").count() == 1
    page.close()
