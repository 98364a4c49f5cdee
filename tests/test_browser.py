"""End-to-end: a call taken in the intake form appears live on another dispatcher's board; a dispatch
from the board appears live on the officer's phone page; the officer's feedback closes the incident."""

import re

import pytest

from anmin.dispatch.models import Unit, UnitStatus
from anmin.incidents.models import Incident
from tests.browser import logged_in_page, shot

pytestmark = pytest.mark.browser


def wait_live(page):
    page.wait_for_selector("body[data-live='on']")


def test_intake_appears_on_a_second_board_and_dispatch_reaches_the_phone(city, asgi_server, browser):
    server = asgi_server
    call_taker = logged_in_page(browser, server, city.dispatcher)
    board = logged_in_page(browser, server, city.leader)
    phone = logged_in_page(browser, server, city.patrol_officer, mobile=True)

    board.goto(server.url + "/board/")
    wait_live(board)
    phone.goto(server.url + "/m/")
    wait_live(phone)
    assert "当前没有警情任务" in phone.inner_text("#task")

    # The call-taker works from the keyboard: phone, address, coordinates, category, priority, text.
    call_taker.goto(server.url + "/intake/")
    call_taker.fill("#caller_phone", "13812345678")
    call_taker.fill("#address", "桃城区人民路 100 号")
    call_taker.fill("#lat", "37.7352")
    call_taker.fill("#lon", "115.6751")
    call_taker.fill("#category", "0601 家庭纠纷")
    call_taker.check("input[name='priority'][value='2']")
    call_taker.fill("#description", "夫妻吵架，有摔东西声音")
    shot(call_taker, "intake-filled")
    call_taker.keyboard.press("Control+Enter")
    call_taker.wait_for_selector("text=已接警")
    incident = Incident.objects.get()
    assert incident.station == city.station_a1
    shot(call_taker, "intake-done")

    # The second console sees it without reloading.
    item = board.wait_for_selector(f"#q-{incident.pk}")
    assert incident.number in item.inner_text()
    assert "家庭纠纷" in item.inner_text()
    shot(board, "board-new-incident")

    # Select it, the station's own car is recommended first for a dispute; dispatch it.
    item.click()
    board.wait_for_selector("#dispatch-form")
    first = board.locator("#dispatch-form .rec").first
    assert "河西01" in first.inner_text()
    assert "纠纷警情" in first.inner_text()
    board.click("#dispatch-button")
    board.wait_for_selector("#incident-panel .chip.dispatched")
    shot(board, "board-dispatched")
    assert Unit.objects.get(pk=city.patrol_car.pk).status == UnitStatus.DISPATCHED

    # The officer's phone shows the task live, then the officer works through it.
    phone.wait_for_selector("text=桃城区人民路 100 号")
    assert "家庭纠纷" in phone.inner_text("#task")
    shot(phone, "phone-task")
    phone.click("#step-arrive")
    phone.wait_for_selector("#step-handle")
    board.wait_for_selector(f"#q-{incident.pk} .chip.arrived")
    phone.click("#step-handle")
    phone.wait_for_selector("#step-resolve")
    phone.select_option("#result", "mediated")
    phone.fill("#text", "双方经调解和好")
    phone.click("#feedback-submit")
    try:
        phone.wait_for_selector("text=当前没有警情任务")
    except Exception:
        shot(phone, "phone-feedback-failed")  # to look at when this fails in CI
        raise
    shot(phone, "phone-done")

    # The closed incident leaves the board's queue live, with its whole timeline recorded.
    board.wait_for_selector(f"#q-{incident.pk}", state="detached")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REPORTED
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["received", "dispatched", "arrived", "handling", "resolved", "reported"]
    shot(board, "board-after-feedback")


def test_intake_form_names_the_bad_field_and_writes_nothing(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(asgi_server.url + "/intake/")
    page.fill("#address", "北京天安门")
    page.fill("#lat", "39.9")
    page.fill("#lon", "116.4")
    page.fill("#category", "0601")
    page.click("#submit-intake")
    error = page.wait_for_selector("#form-error")
    assert re.search("不在本市网格范围内", error.inner_text())
    assert page.get_attribute("#form-error", "data-field") == "lat"
    shot(page, "intake-error")
    assert Incident.objects.count() == 0


def test_repeat_call_is_offered_for_merging(city, asgi_server, browser, call_data):
    from anmin.incidents.actions import ReceiveCall

    first, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(asgi_server.url + "/intake/")
    page.fill("#caller_phone", "13900001111")
    page.fill("#address", "人民路 100 号 对面")
    page.fill("#lat", str(call_data["lat"] + 0.0005))
    page.fill("#lon", str(call_data["lon"]))
    page.fill("#category", "0601")
    page.click("#submit-intake")
    page.wait_for_selector("text=是否合并")
    shot(page, "intake-repeat")
    page.click(f"text=合并到 {first.number}")
    page.wait_for_selector("text=已合并到警情")
    first.refresh_from_db()
    assert first.call_count == 2
    assert Incident.objects.count() == 1


def test_a_resubmitted_intake_leads_to_the_first_incident(city, asgi_server, browser, call_data):
    page = logged_in_page(browser, asgi_server, city.dispatcher)
    page.goto(asgi_server.url + "/intake/")
    page.fill("#address", call_data["address"])
    page.fill("#lat", str(call_data["lat"]))
    page.fill("#lon", str(call_data["lon"]))
    page.fill("#category", "0601")
    # The first submission reaches the server but its answer is lost (a dropped connection)...
    status = page.evaluate(
        """() => { const f = document.getElementById("intake-form");
                   return fetch(location.href, { method: "POST", body: new FormData(f), redirect: "manual" })
                     .then((r) => r.status); }"""
    )
    assert status in (0, 302)  # an opaque redirect: the incident was recorded
    incident = Incident.objects.get()
    # ...so the call-taker submits again: the page leads to that incident, and there is no second one.
    page.click("#submit-intake")
    page.wait_for_selector("text=未重复新建")
    assert incident.number in page.inner_text(".msg.info")
    shot(page, "intake-resubmitted")
    page.dblclick("#submit-intake")  # an empty form now: refused, never a blank incident
    assert Incident.objects.count() == 1


def test_a_refused_dispatch_shows_its_reason_in_the_panel(city, asgi_server, browser, call_data):
    from anmin.incidents.actions import ReceiveCall

    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    board = logged_in_page(browser, asgi_server, city.dispatcher)
    board.goto(f"{asgi_server.url}/board/?incident={incident.pk}")
    board.wait_for_selector("#dispatch-form .rec")
    first = board.locator("#dispatch-form .rec").first.inner_text()
    callsign = first.split()[0]
    Unit.objects.filter(callsign=callsign).update(status=UnitStatus.OFFLINE)  # taken off duty meanwhile
    board.click("#dispatch-button")
    error = board.wait_for_selector("#unit_ids-error")
    assert "当前不可派" in error.inner_text()
    shot(board, "board-dispatch-refused")
    assert not incident.assignments.exists()
