"""End-to-end on a phone: a citizen signs in by SMS code, verifies their real name, applies with an
upload and follows the status; staff on a desktop accept and complete it; the citizen sees 办结."""

import os
import re
import shutil
from pathlib import Path

import pytest

from anmin.citizens import sms
from anmin.services.models import Application, ApplicationStatus, ServiceItem
from tests.browser import ARTIFACTS, logged_in_page, shot
from tests.test_services import PDF, load_catalogue

pytestmark = pytest.mark.browser

PHONE = "13811112222"


def phone_page(browser, server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def save(page, name: str) -> None:
    """A screenshot in test-artifacts/services-<name>.png; also copied to $SERVICES_SHOTS<name>.png
    when that is set (to look at them outside the checkout)."""
    path = shot(page, f"services-{name}")
    if prefix := os.environ.get("SERVICES_SHOTS"):
        shutil.copy(path, f"{prefix}{name}.png")


def test_a_citizen_applies_from_a_phone_and_staff_complete_it(city, asgi_server, browser, tmp_path):
    load_catalogue()
    ServiceItem.objects.filter(code="ZA-WFZ-ZM").update(department=city.station_a1)
    scan = Path(tmp_path) / "身份证.pdf"
    scan.write_bytes(PDF)

    page = phone_page(browser, asgi_server)
    page.goto(f"{asgi_server.url}/portal/")
    page.click("text=办事服务")
    page.click("#item-ZA-WFZ-ZM")
    assert "3 个工作日" in page.inner_text("#limit") and page.is_visible("#province-wide")
    save(page, "item")
    page.click("#apply-link")

    # Not signed in: the SMS code, read from the development gateway.
    page.wait_for_selector("#login-form")
    page.fill("#phone", PHONE)
    page.click("#send-code")
    page.wait_for_selector("#code-sent")
    code = re.search(r"\d{6}", sms.last_message(PHONE)).group()
    page.fill("#code", code)
    page.click("#sign-in")

    # Not verified yet: the real-name page first, then back to the form.
    page.wait_for_selector("#verify-form")
    page.fill("#name", "王五")
    page.fill("#id_number", "11010519491231002X")
    page.click("#verify")
    page.wait_for_selector("#apply-form")

    page.select_option("#form-purpose", "出国（境）")
    page.fill("#form-recipient", "某国驻华使馆")
    material = ServiceItem.objects.get(code="ZA-WFZ-ZM").materials.get(required=True)
    page.set_input_files(f"#material-{material.pk}", str(scan))
    save(page, "apply")
    page.click("#submit")
    page.wait_for_selector("#road")
    app = Application.objects.get()
    assert page.inner_text("#number") == app.number
    assert page.inner_text("#status") == "已提交"
    assert "身份证.pdf" in page.inner_text("#files")
    page.fill("#text", "请问需要本人到场吗？")
    page.click("#send-message")
    page.wait_for_selector(".s-msg.mine")
    save(page, "submitted")

    # 我的: the verified name and masked number, with the check mark drawn from our own sprite.
    page.goto(f"{asgi_server.url}/portal/me/")
    assert "王五" in page.inner_text("#verified") and "11010519491231002X" not in page.content()
    assert page.locator("#verified svg").bounding_box()["width"] > 10
    save(page, "me")

    # Staff on a desktop: the queue, the application, 受理 → 审核 → 办结.
    staff = logged_in_page(browser, asgi_server, city.station_officer)
    staff.goto(f"{asgi_server.url}/services/queue/")
    staff.click(f"#app-{app.pk} a")
    staff.wait_for_selector("#step-accept")
    staff.fill("#reply", "无需本人到场，办结后可下载电子证明。")
    staff.click("#send-reply")
    staff.click("#step-accept")
    staff.wait_for_selector("#step-review")
    assert staff.inner_text("#app-status") == "已受理" and "剩余" in staff.inner_text("#time-left")
    save(staff, "staff-accepted")
    staff.goto(f"{asgi_server.url}/services/queue/")
    save(staff, "staff-queue")
    staff.click(f"#app-{app.pk} a")
    staff.click("#step-review")
    staff.click("#step-complete")
    staff.wait_for_selector("text=办件已更新")
    assert staff.inner_text("#app-status") == "已办结"
    save(staff, "staff-completed")

    # The citizen sees 办结, the notices and the reply.
    page.goto(f"{asgi_server.url}/portal/services/mine/")
    assert "已办结" in page.inner_text("#applications")
    assert "已办结" in page.inner_text("#notices")
    save(page, "mine")
    page.goto(f"{asgi_server.url}/portal/services/mine/{app.number}/")
    assert page.inner_text("#status") == "已办结"
    assert "无需本人到场" in page.inner_text("#thread")
    save(page, "completed")
    assert Application.objects.get().status == ApplicationStatus.COMPLETED

    # Anyone with the number and the phone's last four digits, without signing in.
    public = phone_page(browser, asgi_server)
    public.goto(f"{asgi_server.url}/portal/services/progress/")
    public.fill("#number", app.number)
    public.fill("#phone_last4", "0000")
    public.click("#query")
    public.wait_for_selector("[role=alert]")
    assert "未查询到该办件" in public.inner_text("[role=alert]")
    public.fill("#phone_last4", PHONE[-4:])
    public.click("#query")
    public.wait_for_selector("#result")
    assert public.inner_text("#status") == "已办结" and "王五" not in public.inner_text("main")
    save(public, "progress")
    assert ARTIFACTS.exists()


def test_a_returned_application_is_supplemented_on_the_phone(city, asgi_server, browser, citizen, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anmin.services.actions import ProcessApplication, SubmitApplication
    from tests.conftest import portal_client

    load_catalogue()
    ServiceItem.objects.update(department=city.bureau)
    item = ServiceItem.objects.get(code="ZA-WFZ-ZM")
    app = SubmitApplication(
        citizen=citizen,
        item=item,
        form={"purpose": "就业", "recipient": "某公司"},
        files={item.materials.get(required=True).pk: [SimpleUploadedFile("a.pdf", PDF)]},
    ).execute()
    ProcessApplication(
        by=city.leader, application=app, step="return", missing=["授权委托书及受托人身份证"], reason="代办须附委托书"
    ).execute()

    from django.conf import settings

    cookie = portal_client(citizen).cookies[settings.SESSION_COOKIE_NAME].value
    page = phone_page(browser, asgi_server)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": asgi_server.url}])
    page.goto(f"{asgi_server.url}/portal/services/mine/{app.number}/")
    assert "授权委托书" in page.inner_text("#returned")
    save(page, "returned")
    page.click("#resubmit")  # nothing attached: refused with the material's name
    page.wait_for_selector("[role=alert]")
    assert "授权委托书" in page.inner_text("[role=alert]")
    proxy = item.materials.get(name__startswith="授权委托书")
    scan = Path(tmp_path) / "委托书.pdf"
    scan.write_bytes(PDF)
    page.set_input_files(f"#material-{proxy.pk}", str(scan))
    page.click("#resubmit")
    page.wait_for_selector("text=补正材料已提交")
    assert page.inner_text("#status") == "已提交"
    save(page, "resubmitted")
