"""End-to-end: a case's clock turns yellow under a test clock, the investigator sees it and is told,
the legal supervisor sees it on the board and drills down to the case."""

import pytest

from anmin.cases.actions import OpenCase
from anmin.org.models import Role
from anmin.supervision.calendar import LEGAL_TZ
from anmin.supervision.models import Clock
from anmin.supervision.scan import scan
from tests.browser import logged_in_page, shot
from tests.factories import OfficerFactory

pytestmark = pytest.mark.browser


def test_a_clock_turns_yellow_and_the_supervisor_drills_down_to_it(city, asgi_server, browser):
    legal = OfficerFactory(username="legal_a", organization=city.branch_a, role=Role.LEGAL, full_name="钱法制")
    case = OpenCase(by=city.station_officer, kind="criminal", title="人民路入室盗窃案").execute()
    clock = Clock.objects.get(case=case)

    officer = logged_in_page(browser, asgi_server, city.station_officer)
    officer.goto(f"{asgi_server.url}/cases/{case.pk}/")
    panel = officer.wait_for_selector(f"#clock-{clock.pk}")
    assert panel.get_attribute("data-state") == "normal"
    assert "刑事案件立案审查" in panel.inner_text()
    assert "剩余" in officer.inner_text(f"#clock-{clock.pk} [data-countdown]")
    shot(officer, "clock-green")

    # The test clock: the scan runs as if it were the moment the clock turns yellow.
    result = scan(now=clock.warn_at)
    assert result.due_soon == 1

    officer.reload()
    panel = officer.wait_for_selector(f"#clock-{clock.pk}")
    assert panel.get_attribute("data-state") == "due_soon"
    assert officer.inner_text(f"#clock-{clock.pk} [data-role=state]") == "临期"
    colour = officer.eval_on_selector(f"#clock-{clock.pk}", "el => getComputedStyle(el).borderLeftColor")
    assert colour == "rgb(240, 160, 32)"  # yellow
    officer.wait_for_selector("#notice-count")  # the header's 提醒 badge, fetched by htmx
    assert officer.inner_text("#notice-count") == "1"
    shot(officer, "clock-yellow")

    board = logged_in_page(browser, asgi_server, legal)
    board.goto(f"{asgi_server.url}/supervision/")
    cell = board.wait_for_selector(f"#n-{city.station_a1.pk}-due_soon a")
    assert cell.inner_text() == "1"
    assert board.inner_text(f"#n-{city.branch_a.pk}-due_soon") == "1"
    assert board.query_selector(f"#org-{city.station_b1.pk}") is None  # another branch's unit
    shot(board, "supervision-board")
    cell.click()
    board.wait_for_selector(".clock-row")
    rows = board.query_selector_all(".clock-row")
    assert len(rows) == 1
    assert case.number in rows[0].inner_text()
    shot(board, "supervision-drilldown")
    board.click(f"text={case.number}")
    board.wait_for_selector(f"#clock-{clock.pk}")
    assert board.url.endswith(f"/cases/{case.pk}/")

    board.goto(f"{asgi_server.url}/notices/")
    board.wait_for_selector("#notices tr.unread")
    assert "刑事案件立案审查" in board.inner_text("#notices")
    shot(board, "supervision-notices")


def test_an_investigator_is_refused_the_board(city, asgi_server, browser):
    page = logged_in_page(browser, asgi_server, city.station_officer)
    response = page.goto(f"{asgi_server.url}/supervision/")
    assert response.status == 403
    page.goto(f"{asgi_server.url}/cases/")
    assert page.query_selector("#nav-supervision") is None


def test_the_supervisor_dismisses_an_incident_with_no_case_giving_a_reason(city, asgi_server, browser, call_data):
    from datetime import timedelta

    from django.utils import timezone

    from anmin.incidents.actions import ReceiveCall
    from anmin.incidents.models import Incident
    from anmin.supervision.models import InspectionDismissal

    legal = OfficerFactory(username="legal_a", organization=city.branch_a, role=Role.LEGAL)
    incident, _ = ReceiveCall(by=city.dispatcher, data=dict(call_data, category="0201"), force_new=True).execute()
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.REPORTED, closed_at=timezone.now() - timedelta(days=3)
    )
    page = logged_in_page(browser, asgi_server, legal)
    page.goto(f"{asgi_server.url}/supervision/inspection/")
    row = page.wait_for_selector(f"#incident-{incident.pk}")
    assert incident.number in row.inner_text()
    assert page.inner_text("#incident-count") == "1"
    shot(page, "inspection")
    page.click(f"#incident-{incident.pk} button")  # no reason given
    page.wait_for_selector("[role=alert]")
    assert "请填写理由" in page.inner_text("[role=alert]")
    assert not InspectionDismissal.objects.exists()
    page.fill(f"#incident-{incident.pk} input[name=reason]", "邻里纠纷，已当场调解，不构成治安案件")
    page.click(f"#incident-{incident.pk} button")
    page.wait_for_selector("text=已排除，理由已记录")
    assert page.query_selector(f"#incident-{incident.pk}") is None
    assert InspectionDismissal.objects.get().reason.startswith("邻里纠纷")
    shot(page, "inspection-dismissed")


def test_an_investigator_asks_for_an_extension_and_another_leader_grants_it(city, asgi_server, browser):
    from anmin.cases.actions import DecideApproval, TakeMeasure
    from anmin.cases.models import ApprovalRequest, CasePerson

    leader = OfficerFactory(username="taocheng_leader", organization=city.branch_a, role=Role.LEADER)
    case = OpenCase(by=city.station_officer, kind="criminal", title="系列盗窃案").execute()
    person = CasePerson.objects.create(case=case, role="suspect", name="李四")
    TakeMeasure(case=case, person=person, kind="detention", reason="现行犯", by=city.station_officer).execute()
    DecideApproval(approval=ApprovalRequest.objects.get(case=case), approve=True, by=leader).execute()
    clock = Clock.objects.get(case=case, rule__code="detention_arrest_request")
    three_days = clock.due_at

    officer = logged_in_page(browser, asgi_server, city.station_officer)
    officer.goto(f"{asgi_server.url}/cases/{case.pk}/")
    officer.click(f"#clock-{clock.pk} details summary")
    officer.select_option(f"#clock-{clock.pk} select[name=code]", "roving_serial_gang")
    officer.fill(f"#clock-{clock.pk} input[name=reason]", "多次作案的重大嫌疑分子，需进一步查证")
    shot(officer, "clock-extension-form")
    officer.click(f"#clock-{clock.pk} button[type=submit]")
    officer.wait_for_selector("text=等待领导审批")
    assert "延长申请待审批" in officer.inner_text(f"#clock-{clock.pk}")

    approver = logged_in_page(browser, asgi_server, leader)
    approver.goto(f"{asgi_server.url}/approvals/")
    request = ApprovalRequest.objects.get(transition__startswith="extend:")
    item = approver.wait_for_selector(f"#approval-{request.pk}")
    assert "延长期限" in item.inner_text()
    shot(approver, "clock-extension-inbox")
    approver.click(f"#approval-{request.pk} button[value=approve]")
    approver.wait_for_selector("text=已批准")

    clock.refresh_from_db()
    assert (clock.due_at - three_days).days >= 26  # 3 日 → 30 日 (第九十一条第二款)
    officer.reload()
    assert clock.due_at.astimezone(LEGAL_TZ).strftime("%Y-%m-%d") in officer.inner_text(f"#clock-{clock.pk}")
    assert "已延长" in officer.inner_text(f"#clock-{clock.pk}")
    shot(officer, "clock-extended")
