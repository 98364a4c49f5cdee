"""End-to-end: a 110 incident is reported back, the caller answers the survey from the SMS link on a
phone (不满意 with reasons), and the leader sees the follow-up on the desktop, overdue in red."""

import os
import re
import shutil

import pytest

from anmin.citizens import sms
from anmin.feedback.models import FollowUp, Survey
from tests.browser import logged_in_page, shot
from tests.test_feedback import close_incident

pytestmark = pytest.mark.browser


def save(page, name: str) -> None:
    """test-artifacts/feedback-<name>.png, copied to $FEEDBACK_SHOTS<name>.png when set."""
    path = shot(page, f"feedback-{name}")
    if prefix := os.environ.get("FEEDBACK_SHOTS"):
        shutil.copy(path, f"{prefix}{name}.png")


def test_a_caller_answers_the_survey_on_a_phone(city, call_data, asgi_server, browser):
    incident = close_incident(city, call_data)  # the server's database: on_commit has run
    link = re.search(r"https?://\S+/s/([\w-]+)/", sms.last_message(call_data["caller_phone"]))
    assert link is not None
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{asgi_server.url}/s/{link[1]}/")
    assert incident.number in page.inner_text("main")
    assert not page.is_visible("#reasons-box")  # reasons appear only when not 满意
    save(page, "survey")

    page.click("text=不满意")
    assert page.is_visible("#reasons-box")
    page.click("#submit-survey")  # no reason ticked: refused, naming the field
    page.wait_for_selector(".p-error[data-field=reasons]")
    page.click("text=态度不好")
    page.click("text=出警慢")
    page.fill("#comment", "等了四十分钟，民警态度生硬")
    save(page, "filled")
    page.click("#submit-survey")
    page.wait_for_selector("#survey-done")
    assert "已评价" in page.inner_text("#survey-done")
    save(page, "done")
    # Page width fits the phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    survey = Survey.objects.get()
    assert survey.rating == "dissatisfied" and set(survey.reasons) == {"attitude", "slow_arrival"}
    follow_up = FollowUp.objects.get(survey=survey)
    assert follow_up.assignee == city.leader

    # The leader's desk: the follow-up, closed with a note.
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=follow_up.opened_at)  # make it overdue
    desk = logged_in_page(browser, asgi_server, city.leader)
    desk.goto(f"{asgi_server.url}/feedback/follow-ups/")
    row = desk.locator(f"tr[data-id='{follow_up.pk}']")
    assert "fb-overdue" in row.get_attribute("class")
    save(desk, "follow-ups")
    row.locator("input[name=note]").fill("已核查：警力紧张致到场迟缓，已向报警人致歉")
    row.locator("button").click()
    desk.wait_for_selector("text=整改已办结")
    follow_up.refresh_from_db()
    assert follow_up.closed_by == city.leader
    desk.context.close()


def test_staff_record_a_phone_callback(city, call_data, asgi_server, browser):
    incident = close_incident(city, call_data, caller_phone="0318-2123456")  # a landline: no SMS
    survey = Survey.objects.get()
    desk = logged_in_page(browser, asgi_server, city.station_officer)
    desk.goto(f"{asgi_server.url}/feedback/callbacks/?all=1")
    assert incident.number in desk.inner_text("#callback-queue")
    save(desk, "queue")
    desk.click(f"a[href='/feedback/surveys/{survey.pk}/']")
    desk.check("input[name=rating][value=basic]")
    desk.check("input[name=reasons][value=slow_arrival]")
    desk.fill("#comment", "希望来得再快些")
    desk.click("#record-callback")
    desk.wait_for_selector("#answer")
    assert "基本满意" in desk.inner_text("#answer") and "电话回访" in desk.inner_text("#answer")
    save(desk, "callback")
    survey.refresh_from_db()
    assert (survey.rating, survey.called_by) == ("basic", city.station_officer)
    desk.context.close()
