"""The permission matrix's machinery: every route the server answers, and a world of objects to fill
their path parameters with.

Routes are enumerated, never listed by hand: the HTML side by walking Django's resolver, the API
side by walking the ninja routers' path operations (the OpenAPI document leaves out operations
hidden from the schema, and those answer requests all the same). The test holds a table with one
entry per route; this module only says what exists.
"""

import importlib
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import A1_POINT, portal_client
from tests.files import PDF, PNG

# Kinds of route.
PUBLIC = "public"  # anyone, signed in or not
CITIZEN = "citizen"  # a signed-in citizen; nothing private in the path
MINE = "citizen's own"  # a citizen's own matter: no other citizen may open it
STAFF = "staff"  # an officer; nothing scoped in the path
OBJECT = "object-bearing staff"  # an officer who may see the object in the path
API = "api"  # a token or an officer's session
API_OBJECT = "api, object-bearing"
API_PUBLIC = "api, public"


@dataclass(frozen=True)
class R:
    """One route's entry. `params` maps each path parameter to a world object ("case"), an
    attribute of one ("application.number"), or a literal ("=xlsx"). `owner` is the city user (or
    world key) who may open it; `heavy` routes (report packs, exports) are not fetched by officers,
    only checked for who is turned away."""

    kind: str
    params: dict = field(default_factory=dict)
    owner: str = "station_officer"
    heavy: bool = False


def r(kind, /, owner="station_officer", heavy=False, **params) -> R:
    return R(kind, params, owner, heavy)


#: Django's admin is its own permission system (is_staff): one rule covers all of it.
ADMIN_PREFIX = "admin/"
#: The ninja API is enumerated through its routers, with its methods.
API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class HtmlRoute:
    route: str  # the pattern as written, e.g. "cases/<int:pk>/transition/"
    name: str  # the fully qualified name, for reverse()
    params: tuple[str, ...]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # as ninja declares it, e.g. "/cases/{case_id}"
    params: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield prefix + str(p.pattern), name, tuple(p.pattern.regex.groupindex)


def html_routes() -> list[HtmlRoute]:
    """Every route outside the admin and the ninja API, as the resolver holds it."""
    seen: dict[str, HtmlRoute] = {}
    for route, name, params in _walk(get_resolver().url_patterns):
        if route.startswith((ADMIN_PREFIX, API_PREFIX)):
            continue
        seen.setdefault(route, HtmlRoute(route, name, params))
    return list(seen.values())


def api_routes() -> list[ApiRoute]:
    """Every (method, path) of the ninja API, from its routers. The docs and schema views ninja adds
    are public by design and are not path operations."""
    from anmin.api import api

    routes = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/" + "/".join(s for s in (prefix.strip("/"), path.strip("/")) if s)
            for operation in path_view.operations:
                for method in operation.methods:
                    routes.append(ApiRoute(method, full, tuple(re.findall(r"{(\w+)", full))))
    return routes


def api_bodies() -> dict[str, tuple[str, dict | None]]:
    """For each API route key, the content type and the schema (resolved) of its request body."""
    from anmin.api import api

    schema = api.get_openapi_schema(path_prefix="/")
    components = schema.get("components", {}).get("schemas", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(components[node["$ref"].rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    bodies = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {"application/json": {}})
            content_type, body = next(iter(content.items()))
            schema_ = body.get("schema")
            bodies[f"{method.upper()} {path.rstrip('/') or '/'}"] = (
                content_type,
                resolve(schema_) if schema_ else None,
            )
    return bodies


def example(schema: dict | None, ids: dict):
    """A value that satisfies `schema`: enough for a request to pass ninja's validation and reach the
    view, where the permission check is. Integers that look like ids point at the world's objects."""
    if schema is None:
        return {}
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"] or schema[combinator]
            return example(options[0], ids)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(sub, ids) for name, sub in props.items() if name in schema.get("required", ())}
    if kind == "array":
        return [example(schema.get("items", {}), ids) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", low + 10)
        return (low + high) / 2
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return timezone.now().isoformat()
        if fmt == "date":
            return timezone.localdate().isoformat()
        if fmt == "time":
            return "09:00"
        return "矩阵测试文本"[: schema.get("maxLength", 20)].ljust(schema.get("minLength", 0), "字")
    return None


# --- the world ------------------------------------------------------------------------------------


def committed():
    """Runs what waits for the commit (SMS, events) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def build_world(city, citizen) -> dict:
    """One object of every kind a route names, all belonging to station A1 (or to `citizen`), made
    through the same actions and pages the staff and citizens use. Keys are what the matrix table
    refers to; values are what goes into the path."""
    from anmin.bookings.actions import (
        BookSlot,
        CreateExamSession,
        CreateOffice,
        CreateSlots,
        RegisterApplicant,
        RequestExamSeat,
    )
    from anmin.bookings.models import Subject
    from anmin.cases.actions import AddPerson, ChangeCaseStatus, OpenCase, TakeMeasure, UploadDocument
    from anmin.citizens import sms
    from anmin.feedback.actions import AnswerSurvey, open_survey_for
    from anmin.feedback.models import MatterKind
    from anmin.incidents.actions import ReceiveCall
    from anmin.library.actions import PublishCase, SaveDraft
    from anmin.org.models import Role
    from anmin.property.actions import AddItemPhoto, RecordCustody, RegisterItem
    from anmin.reports.models import AccidentPhoto, MissingPersonReport, OnlineReport, QuickAccident, Tip
    from anmin.reviews.actions import ReviewCase
    from anmin.reviews.models import Rectification, Rubric
    from anmin.services.actions import SubmitApplication
    from anmin.services.models import ServiceItem
    from anmin.supervision.models import Clock, ClockNotice
    from tests.factories import OfficerFactory

    station = city.station_officer
    legal = OfficerFactory(username="matrix_legal", organization=city.bureau, role=Role.LEGAL)
    traffic = OfficerFactory(username="matrix_traffic", organization=city.traffic, role=Role.TRAFFIC)
    w: dict = {"legal": legal, "traffic": traffic}

    incident, _ = ReceiveCall(
        by=city.dispatcher,
        data={
            "category": "0601",
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
            "address": "桃城区人民路 100 号",
            "caller_phone": "13812345678",
            "description": "矩阵测试警情",
            "priority": 2,
        },
        force_new=True,
    ).execute()
    w["incident"] = incident
    w["unit"] = city.patrol_car

    case = OpenCase(by=station, kind="criminal", title="矩阵测试盗窃案").execute()
    w["case"] = case
    person = AddPerson(
        case=case, data={"role": "suspect", "name": "王某", "id_number": "11010519491231002X"}, by=station
    ).execute()
    w["person"] = person
    measure, _ = TakeMeasure(case=case, person=person, kind="summons", by=station).execute()
    w["measure"] = measure
    _case, approval = ChangeCaseStatus(case=case, action="file", reason="有犯罪事实", by=station).execute()
    w["approval"] = approval
    pdf = SimpleUploadedFile("notice.pdf", PDF, content_type="application/pdf")
    w["document"] = UploadDocument(case=case, upload=pdf, title="受案登记表", kind="other", by=station).execute()
    w["clock"] = Clock.objects.filter(case=case).order_by("pk").first()
    w["notice"] = ClockNotice.objects.create(
        recipient=station,
        clock=w["clock"],
        state="yellow",
        due_at=timezone.now() + timedelta(days=1),
        created_at=timezone.now(),
    )

    item = RegisterItem(
        by=station, case=case, kind="electronics", description="黑色手机一部", quantity="1", unit="部"
    ).execute()
    w["item"] = item
    photo = SimpleUploadedFile("IMG_0001.png", PNG, content_type="image/png")
    AddItemPhoto(item=item, photos=[photo], by=station).execute()
    w["item_photo"] = item.photos.order_by("pk").first()
    RecordCustody(item=item, action="hand_over", counterpart="保管员 李某", by=station).execute()
    RecordCustody(item=item, action="store", location="物证室 A-03", by=station).execute()
    w["property_approval"] = (
        RecordCustody(item=item, action="lend", counterpart="讯问", note="讯问", by=station).execute().approval
    )

    rubric = Rubric.objects.filter(active=True).order_by("pk").first()
    code = rubric.items.order_by("pk").first().code
    ReviewCase(
        case=case, rubric=rubric, findings=[{"item": code, "deduction": 1, "note": "缺签名"}], summary="", by=legal
    ).execute()
    w["rectification"] = Rectification.objects.order_by("pk").first()

    w["library_case"] = SaveDraft(by=legal, title="矩阵测试典型案例", summary="摘要").execute()
    guidance = {
        "summary": "被害人被骗。",
        "key_points": "紧急止付。",
        "legal_basis": "《中华人民共和国刑法》第二百六十六条。",
    }
    published = SaveDraft(by=legal, title="矩阵测试已发布案例", **guidance).execute()
    w["published_case"] = PublishCase(case=published, by=legal).execute()

    # The portal: the citizen's own matters, in A1.
    client = portal_client(citizen)
    accident_data = {
        "occurred_at": (timezone.localtime() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "address": "桃城区人民路与育才街交叉口",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
        "description": "剐蹭",
        "a_name": "张三",
        "a_phone": "13912345678",
        "a_licence_number": "11010519491231002X",
        "a_plate": "冀T12345",
        "a_insurer": "人保财险",
        "a_policy_number": "PDZA2026131100001",
        "b_name": "李四",
        "b_phone": "13812345678",
        "b_licence_number": "131102199001011238",
        "b_plate": "冀TD12345",
        "b_insurer": "平安财险",
        "b_policy_number": "ABCD2026000099",
        "mode": "agreement",
        "liability": "b_full",
        "confirm": "1",
        "photos": [SimpleUploadedFile(f"s{i}.png", PNG) for i in range(3)],
    }
    with committed():
        made = client.post("/portal/reports/accidents/new/", accident_data)
    assert made.status_code == 302, made.content.decode()[:1000]
    w["accident"] = QuickAccident.objects.get()
    # Agreed, so that its agreement PDF exists to be refused.
    confirm_code = re.search(r"确认码 (\d{6})", sms.last_message("13812345678")).group(1)
    with committed():
        made = client.post(f"/portal/reports/accidents/{w['accident'].pk}/confirm/", {"code": confirm_code})
    assert made.status_code == 302, made.content.decode()[:1000]
    w["accident_photo"] = AccidentPhoto.objects.order_by("pk").first()
    online = {"category": "0206", "description": "楼下烧烤店很吵", "address": "桃城区人民路 100 号"}
    made = client.post("/portal/reports/online/new/", online | {"lat": A1_POINT[0], "lon": A1_POINT[1]})
    assert made.status_code == 302, made.content.decode()[:1000]
    w["online"] = OnlineReport.objects.get()
    missing = {
        "name": "王小明",
        "sex": "M",
        "age": "7",
        "description": "穿红色外套",
        "last_seen_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_address": "人民公园东门",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
        "photo": SimpleUploadedFile("kid.png", PNG),
    }
    made = client.post("/portal/reports/missing/new/", missing)
    assert made.status_code == 302, made.content.decode()[:1000]
    w["missing"] = MissingPersonReport.objects.get()
    tip = {"kind": "gambling", "content": "人民路 88 号二楼每晚有人聚众赌博", "lat": A1_POINT[0], "lon": A1_POINT[1]}
    made = client.post("/portal/reports/tips/new/", tip)
    assert made.status_code == 200, made.content.decode()[:1000]
    w["tip"] = Tip.objects.get()

    if not ServiceItem.objects.exists():
        importlib.import_module("anmin.services.migrations.0002_seed_catalogue").load(django_apps, None)
    service = ServiceItem.objects.get(code="ZA-WFZ-ZM")
    service.department = city.station_a1
    service.save()
    w["service_item"] = service
    material = service.materials.get(required=True)
    upload = SimpleUploadedFile("id.pdf", PDF, content_type="application/pdf")
    with committed():
        application = SubmitApplication(
            citizen=citizen,
            item=service,
            form={"purpose": "就业", "recipient": "衡水市某公司"},
            files={material.pk: [upload]},
        ).execute()
    w["application"] = application
    w["application_file"] = application.files.order_by("pk").first()

    survey = open_survey_for(
        incident, kind=MatterKind.INCIDENT, label="矩阵回访", phone="13700000000", organization=city.station_a1
    )
    w["survey"] = survey
    answered = open_survey_for(
        w["online"], kind=MatterKind.INCIDENT, label="矩阵回访二", phone="13700000001", organization=city.station_a1
    )
    AnswerSurvey(token=answered.token, rating="dissatisfied", reasons=["slow_arrival"]).execute()
    w["follow_up"] = answered.follow_up

    office = CreateOffice(by=city.leader, organization=city.station_a1, name="河西派出所户政窗口").execute()
    w["office"] = office
    today = timezone.localdate()
    CreateSlots(
        by=city.leader,
        office=office,
        first_day=today + timedelta(days=1),
        last_day=today + timedelta(days=1),
        start="09:00",
        end="10:00",
        minutes=30,
        capacity=2,
    ).execute()
    with committed():
        w["appointment"] = BookSlot(citizen=citizen, slot=office.slots.order_by("pk").first(), purpose="换证").execute()
    now = timezone.now()
    w["exam_session"] = CreateExamSession(
        by=city.leader,
        venue=office,
        subject=Subject.ONE,
        date=(today + timedelta(days=7)).isoformat(),
        start="09:00",
        seats=30,
        opens_at=now.isoformat(),
        closes_at=(now + timedelta(days=5)).isoformat(),
    ).execute()
    RegisterApplicant(
        by=city.leader,
        organization=city.station_a1,
        id_number=citizen.id_number,
        name=citizen.name,
        licence_class="C1",
        accepted_on=(today - timedelta(days=30)).isoformat(),
    ).execute()
    with committed():
        w["exam_booking"] = RequestExamSeat(citizen=citizen, session=w["exam_session"]).execute()
    from anmin.citizens.actions import RequestIdentityChange

    w["identity_change"] = RequestIdentityChange(
        citizen=citizen, station=city.station_a1.pk, name="张三丰", id_number="110105194912310038", reason="姓名变更"
    ).execute()
    for part in matrix_parts():
        w.update(part.world(city, citizen, w))
    return w


#: The apps whose matrix entries and world objects live in tests/matrix_parts/<app>.py.
MATRIX_PARTS = ["communities", "disputes", "posts", "patrol", "missing", "missing_groups"]


def matrix_parts() -> list:
    """Each part module has HTML and API_ROUTES (entries as in the main table) and world(city,
    citizen, w) -> dict of the objects of station A1 its entries name."""
    return [importlib.import_module(f"tests.matrix_parts.{name}") for name in MATRIX_PARTS]
