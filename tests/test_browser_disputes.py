"""End-to-end: a dispute from a 110 incident to the 调解协议书 PDF, and a visit logged from the phone."""

import io
import re

import pytest
from pypdf import PdfReader

from anmin.disputes.models import Dispute, Visit
from anmin.incidents.actions import ReceiveCall
from tests.browser import logged_in_page, shot

pytestmark = pytest.mark.browser
RAW_ID = re.compile(r"\b(pk|id)\s*[:=]\s*\d+")


def test_a_dispute_from_a_110_incident_to_the_agreement_pdf(city, call_data, asgi_server, browser):
    data = {**call_data, "category": "0602", "caller_name": "张三丰", "description": "与邻居因漏水问题发生纠纷"}
    incident, _ = ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/incidents/{incident.pk}/")
    page.click("#open-dispute-link")
    page.wait_for_selector("#dispute-form")
    assert incident.number in page.inner_text("#dispute-source")
    assert "张**" in page.inner_text("#dispute-source") and "张三丰" not in page.content()
    assert page.input_value("#id_address") == call_data["address"]
    page.select_option("#id_kind", "neighbour")
    page.fill("#id_party1_name", "李四")
    page.select_option("#id_party1_role", "respondent")
    page.fill("#id_party1_id_number", "131102198001011233")
    shot(page, "disputes-create")
    page.click("#save-dispute")
    page.wait_for_selector("#dispute-status")
    dispute = Dispute.objects.get()
    assert dispute.incident == incident and dispute.parties.count() == 2
    text = page.inner_text("main")
    assert "张**" in text and "131102********1233" in text and "131102198001011233" not in text
    page.click("#step-accept button")
    page.wait_for_selector("#step-mediate")
    page.fill("#step-mediate [name=mediator]", "王调解员")
    page.fill("#step-mediate [name=result]", "双方同意协商赔偿")
    page.click("#step-mediate button")
    page.wait_for_selector("#sessions")
    page.fill("#step-agree [name=agreement]", "楼上住户于七日内维修管道并赔偿楼下维修费 1200 元。")
    page.click("#step-agree button")
    page.wait_for_selector("#agreement-pdf")
    assert "达成协议" in page.inner_text("#dispute-status")
    assert not RAW_ID.search(page.inner_text("main"))
    page.set_viewport_size({"width": 1600, "height": 1300})
    shot(page, "disputes-agreed")
    with page.expect_download() as download:
        page.click("#agreement-pdf")
    content = open(download.value.path(), "rb").read()  # noqa: SIM115 - read once
    pdf = PdfReader(io.BytesIO(content))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\x00", "")
    assert "人民调解协议书" in text and dispute.number in text and "维修费 1200 元" in text
    assert "张**" in text and "张三丰" not in text and "131102198001011233" not in text
    # The same PDF, rendered by the browser's own viewer, for a look at the Chinese.
    page.goto(f"{asgi_server.url}/disputes/{dispute.pk}/")
    page.wait_for_selector("#agreement")


def test_a_visit_logged_from_the_phone_page(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.patrol_officer, mobile=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{asgi_server.url}/m/")
    page.click("#visit-link")
    page.wait_for_selector("#visit-form")
    page.fill("#id_person_name", "孙大娘")
    page.fill("#id_person_phone", "13812345678")
    page.fill("#id_address", "河西小区 3 号楼 2 单元")
    page.fill("#id_raised", "两户因停车位争执，已多次口角")
    shot(page, "visits-phone-form")
    page.click("#save-visit")
    page.wait_for_selector("#visit-saved")
    visit = Visit.objects.get()
    assert visit.officer == city.patrol_officer and visit.station == city.station_a1
    text = page.inner_text("body")
    assert "孙**" in text and "孙大娘" not in text and "13812345678" not in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    shot(page, "visits-phone-saved")
    page.click("#visit-to-dispute")
    page.wait_for_selector("#dispute-form")
    assert "停车位" in page.input_value("#id_description")


def test_the_register_report_and_plans_read_in_chinese(city, asgi_server, browser):
    from datetime import timedelta

    from django.utils import timezone

    from anmin.disputes.actions import CreateDispute, CreateVisitPlan, LogVisit
    from tests.conftest import A1_POINT

    for n, kind in enumerate(["neighbour", "family", "debt"]):
        CreateDispute(
            by=city.station_officer,
            data={
                "kind": kind,
                "source": "walk_in",
                "address": "桃城区人民路 8 号" if n < 2 else "河西小区 5 号楼",
                "lat": A1_POINT[0],
                "lon": A1_POINT[1],
                "description": "演示纠纷",
            },
            parties=[{"name": "周建国", "phone": "13812345678"}],
        ).execute()
    plan = CreateVisitPlan(
        by=city.station_officer,
        officer=city.station_officer,
        targets="3 号楼独居老人",
        due_date=timezone.localdate() + timedelta(days=5),
        planned_count=4,
    ).execute()
    LogVisit(by=city.station_officer, data={"plan": plan, "person_name": "孙大娘", "address": "3 号楼"}).execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/disputes/")
    page.wait_for_selector("#disputes tr.dispute-row")
    assert page.locator("#disputes tr.dispute-row").count() == 3
    assert "周建国" not in page.content() and not RAW_ID.search(page.inner_text("main"))
    shot(page, "disputes-list")
    page.goto(f"{asgi_server.url}/disputes/report/")
    page.wait_for_selector("#report tr.total-line")
    assert "桃城区人民路 8 号" in page.inner_text("#repeat-addresses")
    shot(page, "disputes-report")
    page.click("#report tr.total-line th:nth-child(2) a")
    page.wait_for_selector("#disputes tr.dispute-row")
    assert page.locator("#disputes tr.dispute-row").count() == 3
    page.goto(f"{asgi_server.url}/visits/plans/")
    page.wait_for_selector("#plans tr.plan-row")
    assert "1/4" in page.inner_text("#plans")
    shot(page, "visits-plans")
