"""End-to-end: the audit administrator opens the trail from the menu, filters it, exports it, and the
export shows up as the newest entry; a dispatcher is refused the page."""

import pytest

from anmin.core.audit import security_event
from anmin.org.models import Role
from tests.browser import logged_in_page, shot
from tests.factories import OfficerFactory
from tests.test_dispatch import receive

pytestmark = pytest.mark.browser


def test_the_auditor_filters_and_exports_the_trail(city, call_data, asgi_server, browser):
    incident = receive(city, call_data)
    security_event("auth.login_failed", actor_label="guess", result="failed", data={"reason": "unknown"})
    security_event("account.role_changed", actor=city.leader, obj=city.patrol_officer, data={"to": "leader"})
    auditor = OfficerFactory(username="auditor", full_name="魏审计", organization=None, role=Role.AUDITOR)
    page = logged_in_page(browser, asgi_server, auditor)
    page.goto(f"{asgi_server.url}/audit/")
    page.click("#nav-audit")
    rows = page.locator("#audit-entries tbody tr.entry")
    assert rows.count() == 3
    assert "变更角色" in rows.nth(0).inner_text()
    assert f"警情 {incident.number}" in rows.nth(2).inner_text()
    assert str(city.dispatcher) in rows.nth(2).inner_text()
    assert page.locator("#chain-entries").inner_text() == "3"
    shot(page, "audit-trail")
    page.select_option("#id_result", "failed")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**result=failed**")
    assert rows.count() == 1 and "登录失败" in rows.nth(0).inner_text()
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto(f"{asgi_server.url}/audit/")
    newest = rows.nth(0).inner_text()
    assert "导出" in newest and "魏审计" in newest
    shot(page, "audit-trail-after-export")


def test_a_dispatcher_is_refused_the_trail(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    response = page.goto(f"{asgi_server.url}/audit/")
    assert response.status == 403
    assert page.locator("#nav-audit").count() == 0
