"""End-to-end: a citizen on a phone is refused with a number the register does not know, verifies,
finds the identity locked, asks 河西派出所 to change it; an officer on a desktop reviews and approves
it on the staff page; the citizen sees the new name. Screenshots in test-artifacts/realname-*.png."""

import re

import pytest

from anmin.citizens import sms
from anmin.citizens.models import IdentityChangeRequest
from tests.browser import logged_in_page, shot
from tests.realname import TestVerifier

pytestmark = pytest.mark.browser

PHONE = "13822223333"
NUMBER = "110105194912310038"
UNKNOWN = "11010519491231002X"


def test_a_citizen_verifies_and_a_station_approves_a_change(city, asgi_server, browser):
    TestVerifier.reset()
    TestVerifier.refused.add(UNKNOWN)
    sms.OUTBOX.clear()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{asgi_server.url}/portal/login/?next=/portal/me/")
    page.fill("#phone", PHONE)
    page.click("#send-code")
    page.wait_for_selector("#code-sent")
    page.fill("#code", re.search(r"\d{6}", sms.last_message(PHONE)).group())
    page.click("#sign-in")

    # A number the register does not know: refused, the number not kept in the form.
    page.wait_for_selector("#verify-form")
    page.fill("#name", "李四")
    page.fill("#id_number", UNKNOWN)
    page.click("#verify")
    alert = page.wait_for_selector(".p-error")
    assert "无法完成实名认证" in alert.inner_text() and alert.get_attribute("data-field") == "id_number"
    assert page.input_value("#id_number") == "" and page.input_value("#name") == "李四"
    shot(page, "realname-refused")

    page.fill("#id_number", NUMBER)
    page.click("#verify")
    page.wait_for_selector("#verified")
    assert "李四" in page.inner_text("#verified") and NUMBER not in page.content()
    assert page.is_visible("#change-form") and not page.query_selector("#verify-form")
    shot(page, "realname-verified")

    # Locked: a change goes to the station.
    page.fill("#change-name", "李思")
    page.fill("#change-id-number", NUMBER)
    page.select_option("#change-station", label=city.station_a1.name)
    page.fill("#change-reason", "依法变更姓名")
    page.click("#request-change")
    page.wait_for_selector("#change-status")
    assert "待审核" in page.inner_text("#change-status") and not page.query_selector("#change-form")
    shot(page, "realname-change-pending")

    # The station officer: the list, the request, approve.
    staff = logged_in_page(browser, asgi_server, city.station_officer)
    staff.goto(f"{asgi_server.url}/citizens/identity-changes/")
    row = staff.locator("#identity-changes tbody tr").first
    assert "李思" in row.inner_text() and "110105********0038" in row.inner_text()
    assert NUMBER not in staff.content() and PHONE not in staff.content()
    shot(staff, "realname-staff-list")
    row.locator("a").click()
    staff.wait_for_selector("#review-form")
    shot(staff, "realname-staff-review")
    staff.fill("#note", "已核验户口簿")
    staff.click("#approve")
    staff.wait_for_selector("#identity-changes")
    assert "没有实名信息变更申请" in staff.inner_text("#identity-changes")
    assert IdentityChangeRequest.objects.get().status == "approved"

    page.reload()
    assert "李思" in page.inner_text("#verified") and "已通过" in page.inner_text("#change-status")
    assert "已通过" in sms.last_message(PHONE)
    shot(page, "realname-approved")
    context.close()
    TestVerifier.reset()
