"""End-to-end: open a case from an incident, request 立案, a leader approves it in the inbox."""

import pytest

from anmin.cases.models import Case
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import Role
from tests.browser import logged_in_page, shot
from tests.factories import OfficerFactory

pytestmark = pytest.mark.browser


def test_a_case_opened_from_an_incident_is_filed_after_approval(city, asgi_server, browser, call_data):
    incident, _ = ReceiveCall(by=city.dispatcher, data=dict(call_data, category="0111"), force_new=True).execute()
    leader = OfficerFactory(
        username="taocheng_leader", organization=city.branch_a, role=Role.LEADER, full_name="赵局长"
    )
    officer = logged_in_page(browser, asgi_server, city.station_officer)

    officer.goto(f"{asgi_server.url}/incidents/{incident.pk}/")
    officer.click("#open-case-link")
    assert officer.input_value("#kind") == "criminal"
    assert "入室盗窃" in officer.input_value("#title")
    officer.fill("#cause", "盗窃")
    shot(officer, "case-new")
    officer.click("#open-case")
    officer.wait_for_selector("text=已受案")
    case = Case.objects.get()
    assert case.incident == incident

    officer.fill("#reason", "现场有撬压痕迹，失窃财物价值已达立案标准")
    officer.click("#action-file")
    officer.wait_for_selector("text=等待领导审批")
    assert officer.inner_text("#case-status") == "已受案"
    shot(officer, "case-requested")

    approver = logged_in_page(browser, asgi_server, leader)
    approver.goto(f"{asgi_server.url}/approvals/")
    item = approver.wait_for_selector(f"#approval-{case.approvals.get().pk}")
    assert case.number in item.inner_text()
    shot(approver, "approvals-inbox")
    approver.click(f"#approval-{case.approvals.get().pk} button[value=approve]")
    approver.wait_for_selector("text=已批准")

    officer.reload()
    assert officer.inner_text("#case-status") == "已立案"
    assert officer.is_visible("#action-investigate")
    shot(officer, "case-filed")


def test_the_requester_does_not_see_their_own_request_to_approve(city, asgi_server, browser):
    from anmin.cases.actions import ChangeCaseStatus, OpenCase

    leader = OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)
    case = OpenCase(by=leader, kind="criminal", title="领导受理").execute()
    ChangeCaseStatus(case=case, action="file", by=leader, reason="立案").execute()
    page = logged_in_page(browser, asgi_server, leader)
    page.goto(f"{asgi_server.url}/approvals/")
    assert "没有待审批的事项" in page.inner_text("main")


def test_an_officer_registers_an_item_and_prints_its_label_sheet(city, asgi_server, browser):
    from anmin.cases.actions import OpenCase
    from anmin.property.models import SeizedItem

    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃电动车案").execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/cases/{case.pk}/")
    page.click("#property-link")
    page.click("details:has(#register-form) > summary")
    page.select_option("#kind", "vehicle")  # it used to be registered as 现金, the first option
    page.fill("#description", "红色电动自行车一辆")
    page.fill("#estimated_value", "1200")
    page.click("#register")
    page.wait_for_selector("text=已登记")
    item = SeizedItem.objects.get()
    assert item.label_code in page.inner_text("#items")
    shot(page, "property-register")
    href = page.get_attribute("#print-labels", "href")
    response = page.request.get(asgi_server.url + href)  # the browser's own session
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_a_refused_person_comes_back_in_its_open_form_with_the_message(city, asgi_server, browser):
    from anmin.cases.actions import OpenCase
    from anmin.cases.models import CasePerson

    case = OpenCase(by=city.station_officer, kind="criminal", title="盗窃案").execute()
    page = logged_in_page(browser, asgi_server, city.station_officer)
    page.goto(f"{asgi_server.url}/cases/{case.pk}/")
    page.click("details:has(#person-form) > summary")
    page.select_option("#p-role", "suspect")  # no role is chosen for the officer (请选择)
    page.fill("#p-name", "王某")
    page.fill("#p-id", "123")
    page.click("#add-person")
    alert = page.wait_for_selector("#person-form [role=alert]")
    assert alert.get_attribute("data-field") == "id_number"
    assert "身份证" in alert.inner_text()
    assert page.is_visible("#p-name") and page.input_value("#p-name") == "王某"  # the form is open, as typed
    assert page.url.endswith(f"/cases/{case.pk}/persons/")
    assert not CasePerson.objects.exists()
    page.fill("#p-id", "")
    page.click("#add-person")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "王*" in page.inner_text("#persons")  # masked until 显示
