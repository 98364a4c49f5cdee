"""The permission matrix: every route the server answers, who may reach it, and who must not.

The routes are enumerated from Django's resolver and the ninja routers (tests/matrix.py); the table
below says, for each, what kind of route it is and which object of station A1 (or of a citizen)
fills its path. A route the resolver has and the table lacks fails the first test — a new page
cannot ship without saying who may open it — and so does an entry for a route that is gone.

Rules, with the shared test city:
- anonymous: staff pages send to the staff login, citizen pages to the portal login, the API
  answers 401; public pages answer;
- a signed-in citizen never reaches a staff page or the API, and never another citizen's matter;
- the officer of another station (冀州镇派出所) gets 403 or 404 on every route that names an object of
  河西派出所, by GET and by POST, and changes nothing (the audit trail does not grow);
- the rightful user opens every object route the table fills (so a 404 above means "not yours",
  not "no such object");
- never a 5xx.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anmin.core.models import AuditEntry
from tests.conftest import portal_client
from tests.matrix import (
    API,
    API_OBJECT,
    API_PUBLIC,
    CITIZEN,
    MINE,
    OBJECT,
    PUBLIC,
    STAFF,
    R,
    api_bodies,
    api_routes,
    build_world,
    example,
    html_routes,
    matrix_parts,
    r,
)

pytestmark = pytest.mark.django_db

HTML = {
    # 登录、首页、语言
    "login/": r(PUBLIC),
    "login/challenge.png": r(PUBLIC),
    "logout/": r(PUBLIC),
    "": r(STAFF),
    # 账号安全 (anmin.accounts): the officer's own pages; the reset is the security administrator's
    "account/": r(STAFF),
    "account/password/": r(STAFF),
    "account/two-factor/": r(STAFF),
    "account/two-factor/reset/": r(STAFF),
    "login/verify/": r(STAFF),  # the code step: without a pending sign-in, back to the staff login
    "i18n/setlang/": r(PUBLIC),
    # 显示: the record and the field are in the body; the view checks the officer's scope (404)
    "pii/reveal/": r(STAFF),
    "api/openapi.json": r(STAFF),  # the API's map: officers only (DEBUG opens it)
    # 群众门户
    "portal/": r(PUBLIC),
    "portal/login/": r(PUBLIC),
    "portal/login/code/": r(PUBLIC),
    "portal/logout/": r(PUBLIC),
    "portal/me/": r(CITIZEN),
    "portal/me/identity-change/": r(CITIZEN),
    "portal/reports/": r(CITIZEN),
    "portal/reports/accidents/new/": r(CITIZEN),
    "portal/reports/accidents/<int:pk>/": r(MINE, pk="accident"),
    "portal/reports/accidents/<int:pk>/confirm/": r(MINE, pk="accident"),
    "portal/reports/accidents/<int:pk>/resend/": r(MINE, pk="accident"),
    "portal/reports/accidents/<int:pk>/request-decision/": r(MINE, pk="accident"),
    "portal/reports/accidents/<int:pk>/document.pdf": r(MINE, pk="accident"),
    "portal/reports/online/new/": r(CITIZEN),
    "portal/reports/online/<int:pk>/": r(MINE, pk="online"),
    "portal/reports/missing/new/": r(CITIZEN),
    "portal/reports/missing/<int:pk>/": r(MINE, pk="missing"),
    "portal/reports/tips/new/": r(PUBLIC),  # tips are anonymous by design
    "portal/reports/tips/track/": r(PUBLIC),  # the tracking code is the key
    "portal/reports/tips/track/messages/": r(PUBLIC),
    "portal/services/": r(PUBLIC),
    "portal/services/items/<str:code>/": r(PUBLIC, code="service_item.code"),
    "portal/services/items/<str:code>/apply/": r(CITIZEN, code="service_item.code"),
    "portal/services/mine/": r(CITIZEN),
    "portal/services/mine/<str:number>/": r(MINE, number="application.number"),
    "portal/services/mine/<str:number>/messages/": r(MINE, number="application.number"),
    "portal/services/mine/<str:number>/supplement/": r(MINE, number="application.number"),
    "portal/services/mine/<str:number>/files/<int:pk>/": r(MINE, number="application.number", pk="application_file"),
    "portal/services/progress/": r(PUBLIC),  # 办件编号 + 手机号后四位, no sign-in
    "s/<str:token>/": r(PUBLIC, token="survey.token"),  # the SMS link's token is the key
    "portal/bookings/": r(CITIZEN),
    "portal/bookings/offices/": r(CITIZEN),
    "portal/bookings/offices/<int:pk>/": r(CITIZEN, pk="office"),  # offices are open to every citizen
    "portal/bookings/appointments/<int:pk>/cancel/": r(MINE, pk="appointment"),
    "portal/bookings/exams/": r(CITIZEN),
    "portal/bookings/exams/<int:pk>/cancel/": r(MINE, pk="exam_booking"),
    # 实名信息变更审核 (staff side)
    "citizens/identity-changes/": r(STAFF),
    "citizens/identity-changes/<int:pk>/": r(OBJECT, pk="identity_change"),
    # 群众上报 (staff side)
    "reports/": r(STAFF),
    "reports/accidents/": r(STAFF),
    "reports/accidents/<int:pk>/": r(OBJECT, pk="accident"),
    "reports/accidents/<int:pk>/decide/": r(OBJECT, pk="accident", owner="traffic"),  # 交警 decide
    "reports/accidents/<int:pk>/photos/<int:photo>/": r(OBJECT, pk="accident", photo="accident_photo"),
    "reports/accidents/<int:pk>/document.pdf": r(OBJECT, pk="accident"),
    "reports/online/<int:pk>/": r(OBJECT, pk="online"),
    "reports/tips/": r(STAFF),
    "reports/tips/<int:pk>/": r(OBJECT, pk="tip"),
    "reports/tips/<int:pk>/close/": r(OBJECT, pk="tip"),
    "reports/missing/": r(STAFF),
    "reports/missing/<int:pk>/": r(OBJECT, pk="missing"),
    "reports/missing/<int:pk>/status/": r(OBJECT, pk="missing"),
    "reports/missing/<int:pk>/photo/": r(OBJECT, pk="missing"),
    # 政务服务 (staff side)
    "services/queue/": r(STAFF),
    "services/applications/<int:pk>/": r(OBJECT, pk="application"),
    "services/applications/<int:pk>/steps/": r(OBJECT, pk="application"),
    "services/applications/<int:pk>/messages/": r(OBJECT, pk="application"),
    "services/applications/<int:pk>/files/<int:file_pk>/": r(OBJECT, pk="application", file_pk="application_file"),
    # 回访
    "feedback/callbacks/": r(STAFF),
    "feedback/surveys/<int:pk>/": r(OBJECT, pk="survey"),
    "feedback/follow-ups/": r(STAFF),
    "feedback/follow-ups/<int:pk>/close/": r(OBJECT, pk="follow_up", owner="leader"),
    # 预约约考 (staff side)
    "bookings/": r(STAFF),
    "bookings/offices/<int:pk>/": r(OBJECT, pk="office"),
    "bookings/appointments/<int:pk>/mark/": r(OBJECT, pk="appointment"),
    "bookings/exams/": r(STAFF),
    "bookings/exams/applicants/": r(STAFF),
    "bookings/exams/<int:pk>/": r(OBJECT, pk="exam_session"),
    "bookings/exams/<int:pk>/allocate/": r(OBJECT, pk="exam_session"),
    "bookings/exams/<int:pk>/results/": r(OBJECT, pk="exam_session"),
    # 110 接处警
    "board/": r(STAFF),
    "board/queue/": r(STAFF),
    "board/units/": r(STAFF),
    "board/map.json": r(STAFF),
    "board/grid.json": r(STAFF),
    "intake/": r(STAFF),
    "places/": r(STAFF),
    "incidents/<int:pk>/": r(OBJECT, pk="incident"),
    "incidents/<int:pk>/panel/": r(OBJECT, pk="incident"),
    "incidents/<int:pk>/dispatch/": r(OBJECT, pk="incident", owner="dispatcher"),
    "incidents/<int:pk>/cancel/": r(OBJECT, pk="incident", owner="dispatcher"),
    "incidents/<int:pk>/reopen/": r(OBJECT, pk="incident", owner="dispatcher"),
    "incidents/<int:pk>/reveal/": r(OBJECT, pk="incident", owner="dispatcher"),
    "m/": r(STAFF),
    "m/panel/": r(STAFF),
    "^m/panel/(?P<step>en_route|arrive|handle|resolve)/$": r(STAFF, step="=en_route"),
    "m/panel/feedback/": r(STAFF),
    "m/panel/status/": r(STAFF),
    "m/panel/position/": r(STAFF),
    # 执法办案
    "cases/": r(STAFF),
    "cases/new/": r(STAFF),
    "cases/<int:pk>/": r(OBJECT, pk="case"),
    "cases/<int:pk>/transition/": r(OBJECT, pk="case"),
    "cases/<int:pk>/persons/": r(OBJECT, pk="case"),
    "cases/<int:pk>/persons/reveal/": r(OBJECT, pk="case"),
    "cases/<int:pk>/measures/": r(OBJECT, pk="case"),
    "cases/<int:pk>/measures/end/": r(OBJECT, pk="case"),
    "cases/<int:pk>/documents/": r(OBJECT, pk="case"),
    "cases/<int:pk>/helpers/": r(OBJECT, pk="case"),
    "cases/<int:pk>/documents/<int:doc>/": r(OBJECT, pk="case", doc="document"),
    "approvals/": r(STAFF),
    "approvals/<int:pk>/decide/": r(OBJECT, pk="approval", owner="leader"),
    "cases/<int:pk>/property/": r(OBJECT, pk="case"),
    "cases/<int:pk>/property/register/": r(OBJECT, pk="case"),
    "cases/<int:pk>/property/photos/": r(OBJECT, pk="case"),
    "cases/<int:pk>/property/custody/": r(OBJECT, pk="case"),
    "property/": r(STAFF),
    "property/approvals/<int:pk>/decide/": r(OBJECT, pk="property_approval", owner="leader"),
    "library/": r(STAFF),
    "library/<int:pk>/": r(STAFF, pk="published_case"),  # published guidance: every officer reads it
    "cases/<int:pk>/review/": r(OBJECT, pk="case", owner="legal"),
    "cases/<int:pk>/deliberation/": r(OBJECT, pk="case"),
    "supervision/": r(STAFF),
    "supervision/clocks/": r(STAFF),
    "supervision/clocks/<int:pk>/extend/": r(OBJECT, pk="clock"),
    "supervision/clocks/<int:pk>/complete/": r(OBJECT, pk="clock"),
    "supervision/inspection/": r(STAFF),
    "notices/": r(STAFF),
    "notices/badge/": r(STAFF),
    # 统计
    "stats/": r(STAFF),
    "stats/records/": r(STAFF),
    "stats/export.<str:fmt>": r(STAFF, heavy=True, fmt="=xlsx"),
    "stats/pack/<str:kind>.<str:fmt>": r(STAFF, heavy=True, kind="=weekly", fmt="=xlsx"),
    "stats/dashboard/": r(STAFF),
    "stats/dashboard/data": r(STAFF),
    "stats/dashboard/cells": r(STAFF),
    # 审计 (the audit administrator only; every other officer 403 — tests/test_separation_of_duties.py)
    "audit/": r(STAFF),
    "audit/export.<str:fmt>": r(STAFF, heavy=True, fmt="=csv"),
    # 地图: county boundaries, station jurisdictions and TILE_FILE's tiles — public, the portal's
    # maps draw them for citizens, who are not Django users (anmin/geo/views.py)
    # 基层工作: the hub of the communities, disputes, posts, patrol and missing-person screens
    "grassroots/": r(STAFF),
    "geo/layers.json": r(PUBLIC),
    "geo/tiles/<int:z>/<int:x>/<int:y>.<str:ext>": r(PUBLIC, z="=1", x="=0", y="=0", ext="=png"),
}

API_ROUTES = {
    # 接处警
    "POST /incidents": r(API),
    "GET /incidents": r(API),
    "GET /incidents/{incident_id}": r(API_OBJECT, incident_id="incident"),
    "GET /incidents/{incident_id}/caller": r(API_OBJECT, incident_id="incident", owner="dispatcher"),
    "GET /categories": r(API),
    "GET /categories/suggest": r(API),
    "GET /addresses/match": r(API),  # 标准地址库: the city's addresses, not a station's records
    "GET /incidents/{incident_id}/recommendations": r(API_OBJECT, incident_id="incident"),
    "POST /incidents/{incident_id}/dispatch": r(API_OBJECT, incident_id="incident"),
    "POST /incidents/{incident_id}/cancel": r(API_OBJECT, incident_id="incident"),
    "POST /incidents/{incident_id}/reopen": r(API_OBJECT, incident_id="incident"),
    "GET /units": r(API),
    "POST /units/{unit_id}/status": r(API_OBJECT, unit_id="unit"),
    "POST /units/{unit_id}/position": r(API_OBJECT, unit_id="unit"),
    "POST /units/{unit_id}/feedback": r(API_OBJECT, unit_id="unit"),
    # 案件
    "POST /cases": r(API),
    "GET /cases": r(API),
    "GET /cases/{case_id}": r(API_OBJECT, case_id="case"),
    "POST /cases/{case_id}/transitions": r(API_OBJECT, case_id="case"),
    "GET /approvals": r(API),
    "POST /approvals/{approval_id}/decision": r(API_OBJECT, approval_id="approval"),
    "POST /cases/{case_id}/persons": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/persons": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/persons/{person_id}/id-number": r(API_OBJECT, case_id="case", person_id="person"),
    "POST /cases/{case_id}/measures": r(API_OBJECT, case_id="case"),
    "POST /measures/{measure_id}/end": r(API_OBJECT, measure_id="measure"),
    "PUT /cases/{case_id}/helpers": r(API_OBJECT, case_id="case"),
    # 典型案例
    "GET /library": r(API),
    "POST /library": r(API),
    "GET /library/tags": r(API),
    "GET /library/manage": r(API),
    "GET /library/manage/{case_id}": r(API_OBJECT, case_id="library_case", owner="legal"),
    "GET /library/{case_id}": r(API, case_id="published_case"),  # published guidance, bureau-wide
    "PUT /library/{case_id}": r(API_OBJECT, case_id="library_case", owner="legal"),
    "POST /library/{case_id}/publish": r(API_OBJECT, case_id="library_case", owner="legal"),
    "POST /library/{case_id}/withdraw": r(API_OBJECT, case_id="library_case", owner="legal"),
    # 涉案财物
    "POST /cases/{case_id}/property": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/property/labels.pdf": r(API_OBJECT, case_id="case"),
    "GET /property": r(API),
    "GET /property/approvals": r(API),
    "POST /property/approvals/{approval_id}/decision": r(API_OBJECT, approval_id="property_approval"),
    "GET /property/review": r(API),
    "GET /property/{item_id}": r(API_OBJECT, item_id="item"),
    "POST /property/{item_id}/photos": r(API_OBJECT, item_id="item"),
    "GET /property/{item_id}/photos/{photo_id}": r(API_OBJECT, item_id="item", photo_id="item_photo"),
    "GET /property/{item_id}/photo": r(API_OBJECT, item_id="item"),
    "POST /property/{item_id}/custody": r(API_OBJECT, item_id="item"),
    # 评查、集体议案、时限
    "POST /cases/{case_id}/reviews": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/reviews": r(API_OBJECT, case_id="case"),
    "POST /rectifications/{task_id}/complete": r(API_OBJECT, task_id="rectification"),
    "GET /reviews/scores": r(API),
    "POST /cases/{case_id}/deliberations": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/deliberations": r(API_OBJECT, case_id="case"),
    "GET /cases/{case_id}/clocks": r(API_OBJECT, case_id="case"),
    "POST /clocks/{clock_id}/extensions": r(API_OBJECT, clock_id="clock"),
    "POST /clocks/{clock_id}/complete": r(API_OBJECT, clock_id="clock"),
    "GET /supervision/summary": r(API),
    "GET /notices": r(API),
    "POST /notices/{notice_id}/read": r(API_OBJECT, notice_id="notice"),
    # 统计
    "GET /stats/report": r(API),
    "GET /stats/records": r(API),
    # 群众上报
    "GET /reports/accidents": r(API),
    "GET /reports/accidents/{accident_id}": r(API_OBJECT, accident_id="accident"),
    "POST /reports/accidents/{accident_id}/decision": r(API_OBJECT, accident_id="accident"),
    "GET /reports/tips": r(API),
    "GET /reports/missing": r(API),
    "POST /reports/missing/{report_id}/status": r(API_OBJECT, report_id="missing"),
    "GET /reports/{kind}/{matter_id}/messages": r(API_OBJECT, kind="=accidents", matter_id="accident"),
    "POST /reports/{kind}/{matter_id}/messages": r(API_OBJECT, kind="=accidents", matter_id="accident"),
    # 回访
    "POST /feedback/answer": r(API_PUBLIC),  # the SMS link's token is the key
    "GET /feedback/callbacks": r(API),
    "GET /feedback/surveys/{survey_id}": r(API_OBJECT, survey_id="survey"),
    "POST /feedback/surveys/{survey_id}/callback": r(API_OBJECT, survey_id="survey"),
    "GET /feedback/follow-ups": r(API),
    "POST /feedback/follow-ups/{follow_up_id}/close": r(API_OBJECT, follow_up_id="follow_up", owner="leader"),
    # 预约约考
    "GET /bookings/offices": r(API),
    "GET /bookings/slots": r(API),
    "POST /bookings/offices/{office_id}/slots": r(API_OBJECT, office_id="office"),
    "GET /bookings/appointments": r(API),
    "POST /bookings/appointments/{pk}/mark": r(API_OBJECT, pk="appointment"),
    "GET /bookings/exam-sessions": r(API),
    "GET /bookings/exam-sessions/{pk}/bookings": r(API_OBJECT, pk="exam_session"),
    "POST /bookings/exam-sessions/{pk}/allocate": r(API_OBJECT, pk="exam_session"),
    "POST /bookings/exam-sessions/{pk}/results": r(API_OBJECT, pk="exam_session"),
    # 政务服务
    "GET /services/status": r(API_PUBLIC),  # 办件编号 + 手机号后四位
    "GET /services/items": r(API),
    "GET /services/applications": r(API),
    "GET /services/applications/{pk}": r(API_OBJECT, pk="application"),
    "POST /services/applications/{pk}/steps": r(API_OBJECT, pk="application"),
    "POST /services/applications/{pk}/messages": r(API_OBJECT, pk="application"),
    # 个人信息: one field in full, audited (the record is in the body; out of scope is 404)
    "POST /pii/reveal": r(API),
}

# Each newer app keeps its entries beside its own world objects (tests/matrix_parts/<app>.py).
for _part in matrix_parts():
    HTML.update(_part.HTML)
    API_ROUTES.update(_part.API_ROUTES)

STAFF_LOGIN = resolve_url(settings.LOGIN_URL)
PORTAL_LOGIN = "/portal/login/"
ADMIN_LOGIN = "/admin/login/"


# --- filling the paths ------------------------------------------------------------------------------


def value(spec: str, world: dict):
    if spec.startswith("="):
        return spec[1:]
    key, _, attr = spec.partition(".")
    obj = world[key]
    return getattr(obj, attr or "pk")


def html_url(route, entry: R, world: dict) -> str:
    kwargs = {name: value(spec, world) for name, spec in entry.params.items()}
    return reverse(route.name, kwargs=kwargs)


def api_url(route, entry: R, world: dict) -> str:
    return "/api/v1" + route.path.format(**{name: value(spec, world) for name, spec in entry.params.items()})


def filled(entry: R, route) -> bool:
    return set(entry.params) == set(route.params)


def html_table() -> list[tuple]:
    return [(route, HTML[route.route]) for route in html_routes() if route.route in HTML]


def api_table() -> list[tuple]:
    return [(route, API_ROUTES[route.key]) for route in api_routes() if route.key in API_ROUTES]


def redirects_to(response, login: str) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == login


def send(client, method: str, url: str, body=None, *, form: bool = False):
    if method == "GET":
        return client.get(url)
    if form:  # multipart, as an upload form posts
        return client.generic(method, url, *_multipart(body or {}))
    payload = json.dumps(body if body is not None else {}, ensure_ascii=False)
    return client.generic(method, url, payload, content_type="application/json")


def _multipart(data: dict) -> tuple[bytes, str]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return encode_multipart(BOUNDARY, {k: v for k, v in data.items() if v is not None}), MULTIPART_CONTENT


def show(problems: list[str]) -> str:
    return "\n".join(sorted(problems))


@pytest.fixture
def world(city, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = Path(tmp_path) / "private"
    from anmin.citizens import sms
    from anmin.citizens.models import Citizen

    sms.LogBackend.outbox.clear()
    other = Citizen.objects.create(
        phone="13700001111", name="李四", id_number="110105194912310029", verified_at=timezone.now()
    )
    made = build_world(city, citizen)
    made["city"] = city
    made["citizen"] = citizen
    made["other_citizen"] = other
    return made


def officer(world: dict, who: str):
    return world[who] if who in world else getattr(world["city"], who)


# --- the table matches the routes -----------------------------------------------------------------


def test_every_route_has_a_matrix_entry():
    routes = html_routes()
    problems = [f"{r.route!r} ({r.name}): add it to the matrix (HTML table)" for r in routes if r.route not in HTML]
    known = {r.route for r in routes}
    problems += [
        f"{route!r}: no such route any more, remove it from the matrix" for route in HTML if route not in known
    ]
    api = api_routes()
    problems += [f"{a.key!r}: add it to the matrix (API_ROUTES)" for a in api if a.key not in API_ROUTES]
    keys = {a.key for a in api}
    problems += [f"{key!r}: no such API route any more, remove it" for key in API_ROUTES if key not in keys]
    for route, entry in html_table() + api_table():
        if not filled(entry, route):
            problems.append(f"{route}: the entry fills {sorted(entry.params)}, the route has {sorted(route.params)}")
    assert not problems, show(problems)


# --- anonymous ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_right_login_or_refused(world):
    problems = []
    for route, entry in html_table():
        url = html_url(route, entry, world)
        answers = {method: send(Client(), method, url) for method in ("GET", "POST")}
        codes = {method: response.status_code for method, response in answers.items()}
        if any(code >= 500 for code in codes.values()):
            problems.append(f"{url}: {codes} (a server error)")
        elif entry.kind in (STAFF, OBJECT):
            if not all(redirects_to(a, STAFF_LOGIN) or a.status_code == 405 for a in answers.values()):
                problems.append(f"{url}: {codes}, expected the staff login")
            elif not any(redirects_to(a, STAFF_LOGIN) for a in answers.values()):
                problems.append(f"{url}: refuses both GET and POST, so nothing here shows who may open it")
        elif entry.kind in (CITIZEN, MINE):
            if not all(redirects_to(a, PORTAL_LOGIN) or a.status_code == 405 for a in answers.values()):
                problems.append(f"{url}: {codes}, expected the portal login")
        elif entry.kind == PUBLIC:
            if redirects_to(answers["GET"], STAFF_LOGIN) or answers["GET"].status_code in (401, 403):
                problems.append(f"{url}: {codes}, a public page turned the visitor away")
    for route, entry in api_table():
        url = api_url(route, entry, world)
        response = send(Client(), route.method, url)
        if entry.kind == API_PUBLIC:
            if response.status_code >= 500 or response.status_code == 401:
                problems.append(f"{route.method} {url}: {response.status_code} for a public API route")
        elif response.status_code != 401:
            problems.append(f"{route.method} {url}: {response.status_code}, expected 401")
    admin = Client().get("/admin/")
    if not redirects_to(admin, ADMIN_LOGIN):
        problems.append(f"/admin/: {admin.status_code}, expected the admin login")
    assert not problems, show(problems)


# --- a citizen ------------------------------------------------------------------------------------


def test_a_citizen_never_reaches_a_staff_page_or_the_api(world):
    problems = []
    client = portal_client(world["citizen"])
    before = AuditEntry.objects.count()
    for route, entry in html_table():
        if entry.kind not in (STAFF, OBJECT):
            continue
        url = html_url(route, entry, world)
        for method in ("GET", "POST"):
            response = send(client, method, url)
            if not (redirects_to(response, STAFF_LOGIN) or response.status_code in (403, 404, 405)):
                problems.append(f"{method} {url}: {response.status_code} for a citizen")
    for route, entry in api_table():
        if entry.kind == API_PUBLIC:
            continue
        url = api_url(route, entry, world)
        response = send(client, route.method, url)
        if response.status_code != 401:
            problems.append(f"{route.method} {url}: {response.status_code} for a citizen, expected 401")
    admin = client.get("/admin/")
    if not redirects_to(admin, ADMIN_LOGIN):
        problems.append(f"/admin/: {admin.status_code} for a citizen, expected the admin login")
    assert not problems, show(problems)
    assert AuditEntry.objects.count() == before


def test_a_citizen_never_opens_another_citizens_matter(world):
    problems = []
    owner, stranger = portal_client(world["citizen"]), portal_client(world["other_citizen"])
    before = AuditEntry.objects.count()
    mine = [(route, entry) for route, entry in html_table() if entry.kind == MINE]
    assert len(mine) >= 10
    for route, entry in mine:
        url = html_url(route, entry, world)
        for method in ("GET", "POST"):
            response = send(stranger, method, url)
            if response.status_code not in (403, 404, 405):
                problems.append(f"{method} {url}: {response.status_code} for another citizen")
    assert not problems, show(problems)
    assert AuditEntry.objects.count() == before
    # The owner does open them: the refusals above are about whose matter it is.
    for route, entry in mine:
        url = html_url(route, entry, world)
        response = owner.get(url)
        if response.status_code >= 400 and response.status_code != 405:
            problems.append(f"GET {url}: {response.status_code} for its own citizen")
    assert not problems, show(problems)


# --- an officer of another station --------------------------------------------------------------


def test_an_officer_of_another_station_is_denied_every_object_of_a1(world):
    city = world["city"]
    problems = []
    before = AuditEntry.objects.count()
    pages = city.login(city.outsider)
    objects = [(route, entry) for route, entry in html_table() if entry.kind == OBJECT]
    assert len(objects) >= 40
    for route, entry in objects:
        url = html_url(route, entry, world)
        codes = {method: send(pages, method, url).status_code for method in ("GET", "POST")}
        if not all(code in (403, 404, 405) for code in codes.values()) or set(codes.values()) == {405}:
            problems.append(f"{url}: {codes} for the outsider, expected 403/404")
    api = city.api(city.outsider)
    bodies = api_bodies()
    ids = {k: v.pk for k, v in world.items() if hasattr(v, "pk")}
    for route, entry in api_table():
        if entry.kind != API_OBJECT:
            continue
        url = api_url(route, entry, world)
        content_type, schema = bodies.get(route.key, ("application/json", None))
        body = example(schema, ids)
        response = send(api, route.method, url, body, form=content_type != "application/json")
        if response.status_code not in (403, 404):
            problems.append(f"{route.method} {url}: {response.status_code} for the outsider, expected 403/404")
    assert not problems, show(problems)
    assert AuditEntry.objects.count() == before, "the outsider's requests wrote to the audit trail"


def test_the_rightful_officer_opens_every_object_the_matrix_fills(world):
    """Without this the outsider's 404s would prove nothing: a wrongly filled path is a 404 too."""
    city = world["city"]
    problems = []
    for route, entry in html_table():
        if entry.kind != OBJECT:
            continue
        url = html_url(route, entry, world)
        response = city.login(officer(world, entry.owner)).get(url)
        if response.status_code >= 400 and response.status_code != 405:
            problems.append(f"GET {url}: {response.status_code} for {entry.owner}")
    for route, entry in api_table():
        if entry.kind != API_OBJECT or route.method != "GET":
            continue
        url = api_url(route, entry, world)
        response = city.api(officer(world, entry.owner)).get(url)
        if response.status_code >= 400:
            problems.append(f"GET {url}: {response.status_code} for {entry.owner}")
    assert not problems, show(problems)


def test_the_rightful_officer_is_not_refused_an_empty_post(world):
    """The routes that take only a POST: the owner's empty form is a bad request (400) or shown
    again, never "not yours" (403/404) and never a 5xx — so the outsider's 404 was about scope."""
    city = world["city"]
    problems = []
    for route, entry in html_table():
        if entry.kind != OBJECT or entry.heavy:
            continue
        url = html_url(route, entry, world)
        client = city.login(officer(world, entry.owner))
        if client.get(url).status_code != 405:
            continue
        response = client.post(url, {})
        if response.status_code in (403, 404) or response.status_code >= 500:
            problems.append(f"POST {url}: {response.status_code} for {entry.owner}")
    assert not problems, show(problems)


def test_staff_lists_show_the_outsider_nothing_of_a1(world):
    """The pages and API routes without an object in the path are lists and boards: scoped, they
    name nothing of 河西's incident, case, item or application to 冀州's officer (and never a 5xx)."""
    city = world["city"]
    secrets = {
        "incident": world["incident"].number,
        "case": world["case"].number,
        "application": world["application"].number,
        "accident": world["accident"].number,
        "item": world["item"].label_code,
    }
    problems = []
    client = city.login(city.outsider)
    for route, entry in html_table():
        if entry.kind != STAFF or entry.heavy:
            continue
        url = html_url(route, entry, world)
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"GET {url}: {response.status_code}")
            continue
        text = b"".join(response.streaming_content) if response.streaming else response.content
        shown = [what for what, number in secrets.items() if number and number.encode() in text]
        if shown:
            problems.append(f"GET {url}: shows A1's {', '.join(shown)} to the outsider")
    api = city.api(city.outsider)
    for route, entry in api_table():
        if entry.kind != API or route.method != "GET":
            continue
        url = api_url(route, entry, world)
        response = api.get(url)
        shown = [what for what, number in secrets.items() if number and number.encode() in response.content]
        if response.status_code >= 500 or shown:
            problems.append(f"GET {url}: {response.status_code}, shows {shown} to the outsider")
    assert not problems, show(problems)


def test_ids_in_the_query_or_the_form_are_scoped_like_ids_in_the_path(world):
    """Some staff pages without an object in the path take one in the query string or the form (the
    incident to open a case from, the unit a phone acts for, the notice to mark read). The outsider
    naming A1's objects there sees nothing of them and changes nothing."""
    from anmin.cases.models import Case
    from anmin.dispatch.models import Unit

    city = world["city"]
    incident, unit, notice = world["incident"], world["unit"], world["notice"]
    probes = [
        ("GET", "/board/", {"incident": incident.pk}),
        ("GET", "/intake/", {"last": incident.pk}),
        ("GET", "/cases/new/", {"incident": incident.pk}),
        ("POST", "/cases/new/", {"incident": incident.pk, "kind": "criminal", "title": "冒用他所警情立案"}),
        ("POST", "/notices/", {"notice": notice.pk}),
        ("POST", "/m/panel/status/", {"unit": unit.pk, "status": "offline"}),
        ("POST", "/m/panel/position/", {"unit": unit.pk, "lat": "37.5", "lon": "115.5"}),
        ("GET", "/supervision/clocks/", {"org": city.station_a1.pk, "state": "yellow"}),
    ]
    unit_before = Unit.objects.values_list("status", "lat", "lon").get(pk=unit.pk)
    before = AuditEntry.objects.count()
    client = city.login(city.outsider)
    problems = []
    for method, url, data in probes:
        response = client.get(url, data) if method == "GET" else client.post(url, data)
        text = response.content.decode(errors="replace")
        if response.status_code >= 500 or incident.number in text or world["case"].number in text:
            problems.append(f"{method} {url} {data}: {response.status_code}, shows A1's objects or fails")
    assert not problems, show(problems)
    assert AuditEntry.objects.count() == before
    assert not Case.objects.filter(incident=incident).exists()
    assert Unit.objects.values_list("status", "lat", "lon").get(pk=unit.pk) == unit_before
    notice.refresh_from_db()
    assert notice.read_at is None
