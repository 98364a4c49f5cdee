"""End-to-end on a phone-sized screen: a citizen completes 事故快处 with an agreement — map, photos,
both parties, B's code — and downloads the 协议书; an online report and an anonymous tip; the
traffic police decide another accident online."""

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image, ImageDraw

from anmin.citizens import sms
from anmin.citizens.auth import SESSION_KEY
from anmin.org.models import Role
from anmin.reports.models import QuickAccident, Tip
from tests.browser import ARTIFACTS, logged_in_page
from tests.factories import OfficerFactory
from tests.test_reports import pdf_text

pytestmark = pytest.mark.browser

#: Where screenshots and the rendered PDF pages go: test-artifacts/reports-*.png unless
#: ANMIN_SHOTS_PREFIX says otherwise (e.g. /tmp/hh- to look at them after a run).
SHOTS_PREFIX = os.environ.get("ANMIN_SHOTS_PREFIX", str(ARTIFACTS / "reports-"))


def shot(page, name: str, full: bool = False) -> Path:
    path = Path(f"{SHOTS_PREFIX}{name}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full)
    return path


def phone_page(browser, server, citizen):
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = citizen.pk
    session.create()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def scene_photos(tmp_path) -> list[str]:
    paths = []
    for n, colour in enumerate(("#3b6ea5", "#a53b3b", "#3ba55c"), start=1):
        image = Image.new("RGB", (640, 480), colour)
        ImageDraw.Draw(image).rectangle((200, 180, 440, 300), fill="#eeeeee")
        path = tmp_path / f"scene{n}.jpg"
        image.save(path, "JPEG")
        paths.append(str(path))
    return paths


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    sms.LogBackend.outbox.clear()


def fill_accident(page, tmp_path):
    page.fill("#address", "桃城区人民路与育才街交叉口")
    box = page.locator(".r-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".r-status.r-picked")
    page.set_input_files("#photos", scene_photos(tmp_path))
    assert page.inner_text("#photo-count") == "3"
    page.fill("#a_plate", "冀T12345")
    page.fill("#a_insurer", "人保财险")
    page.fill("#a_policy_number", "PDZA2026131100001")
    page.fill("#b_name", "李四")
    page.fill("#b_phone", "13812345678")
    page.fill("#b_licence_number", "131102199001011238")
    page.fill("#b_plate", "冀TD12345")
    page.fill("#b_insurer", "平安财险")
    page.fill("#b_policy_number", "ABCD2026000099")


def test_a_citizen_settles_an_accident_by_agreement_and_downloads_the_pdf(
    city, citizen, asgi_server, browser, tmp_path
):
    page = phone_page(browser, asgi_server, citizen)
    page.goto(f"{asgi_server.url}/portal/")
    shot(page, "portal-home")
    page.click("text=事故快处")
    page.wait_for_selector("#accident-form")
    assert page.input_value("#a_name") == "张三"  # party A is the signed-in citizen
    fill_accident(page, tmp_path)
    # A mistyped plate first: the field is named, and nothing is kept.
    page.fill("#b_plate", "冀TI2345")
    page.check("input[name=liability][value=b_full]")
    page.check("input[name=confirm]")
    page.click("#submit-accident")
    page.wait_for_selector(".p-error")
    assert "字母 I 和 O" in page.inner_text(".p-error")
    assert page.get_attribute("#b_plate", "aria-invalid") == "true"
    shot(page, "accident-error")
    assert not QuickAccident.objects.exists()
    # Files are not kept by the browser after a refused post: choose them again.
    page.fill("#b_plate", "冀TD12345")
    page.set_input_files("#photos", scene_photos(tmp_path))
    page.click("input[name=mode][value=agreement]")
    shot(page, "accident-form", full=True)
    page.click("#submit-accident")
    page.wait_for_selector("#confirm-form")
    shot(page, "accident-awaiting")

    code = re.search(r"确认码 (\d{6})", sms.last_message("13812345678")).group(1)
    page.fill("#code", code)
    page.click("#confirm")
    page.wait_for_selector("#download-pdf")
    assert "已协商" in page.inner_text("#status")
    shot(page, "accident-agreed")

    with page.expect_download() as info:
        page.click("#download-pdf")
    target = tmp_path / "agreement.pdf"
    info.value.save_as(target)
    text = pdf_text(target.read_bytes())
    accident = QuickAccident.objects.get()
    for expected in ("自行协商协议书", accident.number, "李四", "冀TD12345", "3 张"):
        assert expected in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(target), f"{SHOTS_PREFIX}agreement"], check=True
    )

    page.goto(f"{asgi_server.url}/portal/reports/")
    assert accident.number in page.inner_text("#matters")
    shot(page, "my-matters")


def test_an_online_report_and_an_anonymous_tip_on_a_phone(city, citizen, asgi_server, browser):
    page = phone_page(browser, asgi_server, citizen)
    page.goto(f"{asgi_server.url}/portal/reports/online/new/")
    assert "紧急情况请直接拨打110" in page.inner_text("#call-110")
    page.select_option("#category", "0206")
    page.fill("#description", "楼下烧烤店每晚十二点后仍很吵")
    page.fill("#address", "桃城区人民路 100 号")
    box = page.locator(".r-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    shot(page, "online-form")
    page.click("#submit-online")
    page.wait_for_selector("text=处理进度")
    assert page.inner_text("#status") == "待派警"
    shot(page, "online-status")

    tipster = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN").new_page()
    tipster.goto(f"{asgi_server.url}/portal/reports/tips/new/")
    tipster.select_option("#kind", "gambling")
    tipster.fill("#content", "人民路 88 号二楼每晚有人聚众赌博")
    tipster.click("#submit-tip")
    code = tipster.inner_text("#tracking-code")
    shot(tipster, "tip-code")
    tip = Tip.objects.get()

    officer = logged_in_page(browser, asgi_server, city.leader)
    officer.goto(f"{asgi_server.url}/reports/tips/{tip.pk}/")
    officer.fill("#text", "线索已收到，正在核查。")
    officer.click("#send-message")
    officer.wait_for_selector("text=已答复")
    shot(officer, "staff-tip")

    tipster.goto(f"{asgi_server.url}/portal/reports/tips/track/")
    tipster.fill("#code", code)
    tipster.click("#track-form button")
    tipster.wait_for_selector("text=正在核查")
    shot(tipster, "tip-track")


def test_a_traffic_officer_decides_an_accident_online(city, citizen, asgi_server, browser, tmp_path):
    page = phone_page(browser, asgi_server, citizen)
    page.goto(f"{asgi_server.url}/portal/reports/accidents/new/")
    fill_accident(page, tmp_path)
    page.click("input[name=mode][value=officer]")
    assert not page.is_visible("#agreement-part")
    page.click("#submit-accident")
    page.wait_for_selector("text=已提交交警在线定责")
    accident = QuickAccident.objects.get()

    officer = OfficerFactory(username="traffic", organization=city.traffic, role=Role.TRAFFIC, full_name="王交警")
    staff = logged_in_page(browser, asgi_server, officer)
    staff.goto(f"{asgi_server.url}/reports/accidents/")
    staff.click(f"text={accident.number}")
    staff.wait_for_selector("#decide-form")
    staff.check("input[name=liability][value=a_full]")
    staff.fill("#facts", "甲方变道未让行正常行驶的乙方车辆，发生剐蹭。")
    shot(staff, "staff-decide", full=True)
    staff.click("#decide")
    staff.wait_for_selector("text=已定责")

    page.reload()
    with page.expect_download() as info:
        page.click("#download-pdf")
    target = tmp_path / "decision.pdf"
    info.value.save_as(target)
    assert "简易程序道路交通事故认定书" in pdf_text(target.read_bytes())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(target), f"{SHOTS_PREFIX}decision"], check=True
    )


__all__ = ["ARTIFACTS", "io"]
