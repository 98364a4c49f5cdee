"""End-to-end: a 法制 officer signs in for the first time, must enrol an authenticator (QR code),
keeps the recovery codes, and at the next sign-in passes the code step."""

import pyotp
import pytest

from anmin.accounts.models import Credential
from anmin.org.models import Role
from tests.browser import shot
from tests.conftest import TEST_PASSWORD
from tests.factories import OfficerFactory

pytestmark = pytest.mark.browser


def password_step(page, url: str, officer) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", officer.badge_number)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button.login-submit, form button[type=submit]")


def test_an_officer_enrols_an_authenticator_and_signs_in_with_it(city, asgi_server, browser):
    officer = OfficerFactory(organization=city.bureau, role=Role.LEGAL, full_name="法制员")
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)  # a loaded CI machine renders slowly

    password_step(page, asgi_server.url, officer)
    page.wait_for_url("**/account/two-factor/")
    page.wait_for_selector("#owed", state="visible")
    page.wait_for_selector("#totp-qr svg", state="visible")
    box = page.locator("#totp-qr svg").bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    shot(page, "accounts-enrol-qr")
    # Any page of the site brings the officer back here until the authenticator is enrolled.
    page.goto(f"{asgi_server.url}/cases/")
    page.wait_for_url("**/account/two-factor/")

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("#confirm-totp")
    page.wait_for_selector("#recovery-codes")
    codes = [li.inner_text().strip() for li in page.locator("#recovery-codes li").all()]
    assert len(codes) == 10
    shot(page, "accounts-recovery-codes")
    page.click("#continue")
    page.wait_for_selector("#account-link")
    assert Credential.objects.get(officer=officer).has_totp

    page.click("header form[action='/logout/'] button")
    page.wait_for_url("**/login/**")
    password_step(page, asgi_server.url, officer)
    page.wait_for_url("**/login/verify/")
    page.fill("#id_code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("#verify")
    page.wait_for_selector(".errors")
    assert "验证码不正确" in page.locator(".errors").inner_text()
    shot(page, "accounts-code-step")
    # The authenticator's current code was spent on the enrolment: a recovery code signs in instead.
    page.fill("#id_code", codes[0])
    page.click("#verify")
    page.wait_for_selector("#account-link")
    page.click("#account-link")
    page.wait_for_selector("text=剩余恢复码 9 个")
    shot(page, "accounts-security")
    context.close()
