"""Every main screen runs under the Content Security Policy in a real browser: no console message
about the policy, no script error, and the map, the charts, the live connection and the htmx
interactions still work with `script-src 'self'` and no eval."""

import re

import pytest
from django.conf import settings as django_settings

from anmin.cases.actions import OpenCase
from anmin.citizens import sms
from anmin.dispatch.actions import DispatchUnits
from anmin.incidents.actions import ReceiveCall
from anmin.org.models import Role
from tests.browser import logged_in_page, shot
from tests.factories import OfficerFactory
from tests.test_feedback import close_incident

pytestmark = pytest.mark.browser

#: What Chromium writes to the console when the policy blocks something, or a header is malformed.
BLOCKED = re.compile(r"Content Security Policy|Refused to|EvalError|unsafe-eval|Permissions-Policy", re.I)


class Watch:
    """Collects, for every page of a context, console messages about the policy and uncaught errors."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, page):
        page.on("console", lambda m: BLOCKED.search(m.text) and self.problems.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"{page.url}: uncaught {e}"))
        return page

    def visit(self, page, url, name, *, ready=None):
        response = page.goto(url)
        assert response.status < 400, (url, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        if ready:
            page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        shot(page, f"csp-{name}")
        return response

    def check(self):
        assert not self.problems, "\n".join(self.problems)


def portal_page(browser, server, citizen=None):
    from django.contrib.sessions.backends.db import SessionStore

    from anmin.citizens.auth import SESSION_KEY

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    if citizen is not None:
        session = SessionStore()
        session[SESSION_KEY] = citizen.pk
        session.create()
        context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": server.url}]
        )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_the_staff_screens_run_under_the_policy(city, call_data, asgi_server, browser):
    url = asgi_server.url
    watch = Watch()
    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data, force_new=True).execute()
    case = OpenCase(by=city.station_officer, kind="criminal", title="人民路入室盗窃案").execute()

    # 调度台: the map draws, the live connection opens (connect-src), a click loads the panel (htmx).
    board = watch.attach(logged_in_page(browser, asgi_server, city.dispatcher))
    watch.visit(board, f"{url}/board/", "board", ready="#map .leaflet-tile-pane")
    board.wait_for_selector("body[data-live='on']")
    board.wait_for_selector("#map .leaflet-overlay-pane canvas, #map .leaflet-overlay-pane svg", state="attached")
    board.click(f"#q-{incident.pk}")
    board.wait_for_selector("#dispatch-form")
    shot(board, "csp-board-selected")

    watch.visit(board, f"{url}/intake/", "intake", ready="#caller_phone")

    # The incident page refreshes itself when the incident changes (dispatch/incident.js).
    watch.visit(board, f"{url}/incidents/{incident.pk}/", "incident", ready="#panel")
    board.wait_for_selector("body[data-live='on']")

    # The crew's phone: the task arrives live (dispatch/phone.js), a step is an htmx POST.
    phone = watch.attach(logged_in_page(browser, asgi_server, city.patrol_officer, mobile=True))
    watch.visit(phone, f"{url}/m/", "phone", ready="#phone-panel")
    phone.wait_for_selector("body[data-live='on']")
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    phone.wait_for_selector("#step-arrive")
    board.wait_for_selector("#panel .chip.dispatched")  # the incident page heard it too
    phone.click("#step-arrive")
    phone.wait_for_selector("#step-handle")
    shot(phone, "csp-phone-task")

    officer = watch.attach(logged_in_page(browser, asgi_server, city.station_officer))
    watch.visit(officer, f"{url}/cases/{case.pk}/", "case", ready="main")
    watch.visit(officer, f"{url}/cases/{case.pk}/property/", "case-property", ready="main")
    watch.visit(officer, f"{url}/property/", "property-review", ready="main")

    legal = OfficerFactory(username="legal_csp", organization=city.branch_a, role=Role.LEGAL, full_name="钱法制")
    supervisor = watch.attach(logged_in_page(browser, asgi_server, legal))
    watch.visit(supervisor, f"{url}/supervision/", "supervision", ready="#board")
    supervisor.wait_for_selector("body[data-live='on']")

    # 统计: a report runs through htmx and ECharts draws it; the dashboard's charts and map draw.
    leader = watch.attach(logged_in_page(browser, asgi_server, city.leader))
    watch.visit(leader, f"{url}/stats/", "stats", ready="#run-report")
    with leader.expect_response(re.compile(r"/stats/\?")):
        leader.click("#run-report")
    leader.wait_for_selector("#builder:not(.htmx-request)")
    leader.wait_for_selector("#stats-chart canvas")
    assert "period=" in leader.url  # htmx pushed the query into the address bar
    shot(leader, "csp-stats-report")
    watch.visit(leader, f"{url}/stats/dashboard/", "dashboard", ready="#chart-trend canvas")
    leader.wait_for_selector("#dash-map .leaflet-overlay-pane canvas", state="attached")

    # A filter that submits itself on change (anmin/autosubmit.js, formerly an inline onchange=).
    watch.visit(leader, f"{url}/reports/accidents/", "staff-accidents", ready="select[data-autosubmit]")
    leader.select_option("select[data-autosubmit]", index=1)
    leader.wait_for_url(re.compile(r"\?status="))

    # The API documents: Swagger UI from the site's own static files.
    watch.visit(leader, f"{url}/api/v1/docs", "api-docs", ready="#swagger-ui .info")

    # The admin: a change list and a change form, with Django's own scripts.
    root = OfficerFactory(username="root_csp", organization=city.bureau, role=Role.ADMIN, is_staff=True)
    admin = watch.attach(logged_in_page(browser, asgi_server, root))
    watch.visit(admin, f"{url}/admin/incidents/incident/", "admin-changelist", ready="#result_list")
    watch.visit(admin, f"{url}/admin/incidents/incident/{incident.pk}/change/", "admin-change", ready="#content")
    watch.visit(admin, f"{url}/admin/org/organization/add/", "admin-add", ready="form")
    watch.check()


def test_the_portal_screens_run_under_the_policy(city, citizen, call_data, asgi_server, browser):
    url = asgi_server.url
    watch = Watch()
    stranger = watch.attach(portal_page(browser, asgi_server))
    watch.visit(stranger, f"{url}/portal/", "portal-home", ready="main")

    page = watch.attach(portal_page(browser, asgi_server, citizen))
    watch.visit(page, f"{url}/portal/me/", "portal-me", ready="main")
    watch.visit(page, f"{url}/portal/reports/online/new/", "portal-online-report", ready="form")
    # The accident form: its map (Leaflet, reports.js) and the part shown only for an agreement.
    watch.visit(page, f"{url}/portal/reports/accidents/new/", "portal-accident", ready="#accident-form")
    page.wait_for_selector("#map.leaflet-container")
    page.check("input[name='mode'][value='officer']")
    assert not page.is_visible("#agreement-part")
    page.check("input[name='mode'][value='agreement']")
    assert page.is_visible("#agreement-part")

    # The survey a caller reaches from the SMS link: the reasons appear for 不满意 only.
    close_incident(city, call_data)
    token = re.search(r"/s/([\w-]+)/", sms.last_message(call_data["caller_phone"]))[1]
    survey = watch.attach(portal_page(browser, asgi_server))
    watch.visit(survey, f"{url}/s/{token}/", "survey", ready="#survey-form")
    assert not survey.is_visible("#reasons-box")
    survey.click("text=不满意")
    assert survey.is_visible("#reasons-box")
    watch.check()
