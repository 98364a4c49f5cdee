"""One masking policy everywhere (个人信息保护法; 等保三级 个人信息保护): every page, API answer, admin
screen and PDF that shows a person shows the masked form to an officer who has not pressed "显示";
"显示" returns the full value of one field of one record and writes an audit entry naming the
officer, the record and the field; no phone number is written into the incident timeline."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from anmin.core.models import AuditEntry
from anmin.core.pii import FIELDS, mask, mask_name, scrub
from anmin.dispatch.actions import DispatchUnits
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentEvent
from tests.factories import OfficerFactory
from tests.matrix import build_world

pytestmark = pytest.mark.django_db

CALLER_PHONE = "13812345678"  # the matrix world's caller (and party B's phone)
CALLER_NAME = "赵大伟"
CITIZEN_PHONE = "13912345678"  # 张三: the citizen, party A, the missing child's reporter, the applicant
CITIZEN_ID = "11010519491231002X"
PARTY_B_LICENCE = "131102199001011238"
SURVEY_PHONE = "13700000000"
OWNER_NAME = "钱多多"
OWNER_ID = "131102199001011238"

NO_STORE = "no-store"


# --- the policy --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("phone", "13812345678", "138****5678"),
        ("phone", "", ""),
        ("id_number", "11010519491231002X", "110105********002X"),
        ("id_number", "131102900101123", "131102******123"),
        ("name", "张三", "张*"),
        ("name", "赵大伟", "赵**"),
        ("name", "欧阳娜娜", "欧***"),
        ("name", "", ""),
        ("name", None, ""),
    ],
)
def test_it_masks_each_kind_by_one_policy(kind, value, masked):
    assert mask(kind, value) == masked


def test_it_masks_phone_and_id_numbers_in_free_text_and_leaves_other_numbers():
    text = "来电 13900001111：身份证 11010519491231002X，门牌 100 号，单号 131100-20261207-000001"
    assert scrub(text) == "来电 139****1111：身份证 110105********002X，门牌 100 号，单号 131100-20261207-000001"
    assert scrub("") == ""
    assert mask_name(" 王 ") == "王"


# --- the world: one object of every kind, all of station A1 -------------------------------------------


@pytest.fixture
def world(city, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = Path(tmp_path) / "private"
    w = build_world(city, citizen)
    w["city"] = city
    incident = w["incident"]
    incident.caller_name = CALLER_NAME
    incident.save(update_fields=["caller_name"])
    item = w["item"]
    item.owner_name, item.owner_id_number = OWNER_NAME, OWNER_ID
    item.save(update_fields=["owner_name", "owner_id_number"])
    # The patrol car is sent, so its crew's phone page shows the task and the caller.
    DispatchUnits(incident=incident, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    w["admin"] = OfficerFactory(username="pii_admin", is_staff=True, is_superuser=True, organization=city.bureau)
    return w


def who(world, name: str):
    return world[name] if name in world else getattr(world["city"], name)


def client_for(world, name: str, api: bool) -> Client:
    city = world["city"]
    return city.api(who(world, name)) if api else city.login(who(world, name))


#: (what, viewer, url, API?, full values that must not appear, masked forms that must appear).
#: `url` is filled from the world: "{incident}" is the incident's pk, and so on.
PAGES = [
    (
        "incident panel",
        "dispatcher",
        "/incidents/{incident}/panel/",
        False,
        [CALLER_PHONE, CALLER_NAME],
        ["138****5678", "赵**"],
    ),
    ("incident page", "dispatcher", "/incidents/{incident}/", False, [CALLER_PHONE, CALLER_NAME], ["138****5678"]),
    ("board", "dispatcher", "/board/", False, [CALLER_PHONE, CALLER_NAME], []),
    ("board queue", "dispatcher", "/board/queue/", False, [CALLER_PHONE, CALLER_NAME], []),
    ("crew's phone page", "patrol_officer", "/m/", False, [CALLER_PHONE, CALLER_NAME], ["138****5678", "赵**"]),
    ("crew's phone panel", "patrol_officer", "/m/panel/", False, [CALLER_PHONE, CALLER_NAME], ["138****5678"]),
    ("incident API", "dispatcher", "/api/v1/incidents/{incident}", True, [CALLER_PHONE, CALLER_NAME], ["138****5678"]),
    ("incident list API", "dispatcher", "/api/v1/incidents", True, [CALLER_PHONE, CALLER_NAME], ["138****5678"]),
    (
        "accident page",
        "station_officer",
        "/reports/accidents/{accident}/",
        False,
        [CITIZEN_PHONE, CITIZEN_ID, CALLER_PHONE, PARTY_B_LICENCE, "张三", "李四"],
        ["139****5678", "110105********002X", "138****5678", "131102********1238", "张*", "李*"],
    ),
    (
        "accident API",
        "station_officer",
        "/api/v1/reports/accidents/{accident}",
        True,
        [CITIZEN_PHONE, CITIZEN_ID, CALLER_PHONE, PARTY_B_LICENCE, "张三", "李四"],
        ["139****5678", "110105********002X", "138****5678", "131102********1238", "张*", "李*"],
    ),
    (
        "missing-person page",
        "station_officer",
        "/reports/missing/{missing}/",
        False,
        [CITIZEN_PHONE, "张三", "王小明"],
        ["139****5678", "张*", "王**"],
    ),
    ("missing-person list", "station_officer", "/reports/missing/", False, ["王小明"], ["王**"]),
    ("missing-person API", "station_officer", "/api/v1/reports/missing", True, ["王小明", CITIZEN_PHONE], ["王**"]),
    ("online report page", "station_officer", "/reports/online/{online}/", False, [CITIZEN_PHONE, "张三"], []),
    ("survey page", "station_officer", "/feedback/surveys/{survey}/", False, [SURVEY_PHONE], ["137****0000"]),
    ("survey API", "station_officer", "/api/v1/feedback/surveys/{survey}", True, [SURVEY_PHONE], ["137****0000"]),
    ("callback list", "station_officer", "/feedback/callbacks/", False, [SURVEY_PHONE], []),
    ("case page", "station_officer", "/cases/{case}/", False, [CITIZEN_ID, "王某"], ["110105********002X", "王*"]),
    ("case API", "station_officer", "/api/v1/cases/{case}", True, [CITIZEN_ID, "王某"], ["110105********002X", "王*"]),
    (
        "case persons API",
        "station_officer",
        "/api/v1/cases/{case}/persons",
        True,
        [CITIZEN_ID, "王某"],
        ["110105********002X"],
    ),
    ("notices", "station_officer", "/notices/", False, ["王某"], []),
    ("property page", "station_officer", "/cases/{case}/property/", False, [OWNER_NAME, OWNER_ID], []),
    (
        "property item API",
        "station_officer",
        "/api/v1/property/{item}",
        True,
        [OWNER_NAME, OWNER_ID],
        ["钱**", "131102********1238"],
    ),
    ("property list API", "station_officer", "/api/v1/property", True, [OWNER_NAME, OWNER_ID], []),
    (
        "application page",
        "station_officer",
        "/services/applications/{application}/",
        False,
        [CITIZEN_PHONE, CITIZEN_ID, "张三"],
        ["139****5678", "110105********002X", "张*"],
    ),
    ("application queue", "station_officer", "/services/queue/", False, ["张三", CITIZEN_PHONE], ["张*"]),
    (
        "application API",
        "station_officer",
        "/api/v1/services/applications/{application}",
        True,
        ["张三", CITIZEN_PHONE, CITIZEN_ID],
        ["张*"],
    ),
    (
        "office appointments",
        "leader",
        "/bookings/offices/{office}/?date={tomorrow}",
        False,
        ["张三", CITIZEN_PHONE],
        ["张*"],
    ),
    ("exam session bookings", "leader", "/bookings/exams/{exam_session}/", False, ["张三", CITIZEN_ID], ["张*"]),
    (
        "exam session bookings API",
        "leader",
        "/api/v1/bookings/exam-sessions/{exam_session}/bookings",
        True,
        ["张三", CITIZEN_ID],
        ["张*"],
    ),
    (
        "incident admin form",
        "admin",
        "/admin/incidents/incident/{incident}/change/",
        False,
        [CALLER_PHONE, CALLER_NAME],
        ["138****5678", "赵**"],
    ),  # noqa: E501
    ("incident admin list", "admin", "/admin/incidents/incident/", False, [CALLER_PHONE, CALLER_NAME], []),
    (
        "property admin form",
        "admin",
        "/admin/property/seizeditem/{item}/change/",
        False,
        [OWNER_NAME, OWNER_ID],
        ["钱**", "131102********1238"],
    ),  # noqa: E501
    ("property admin list", "admin", "/admin/property/seizeditem/", False, [OWNER_NAME, OWNER_ID], []),
    (
        "application admin form",
        "admin",
        "/admin/services/application/{application}/change/",
        False,
        ["张三", CITIZEN_PHONE, CITIZEN_ID],
        ["张*"],
    ),  # noqa: E501
    ("clock admin list", "admin", "/admin/supervision/clock/", False, ["王某"], ["王*"]),
    ("clock admin form", "admin", "/admin/supervision/clock/{clock}/change/", False, ["王某"], []),
    ("application admin list", "admin", "/admin/services/application/", False, ["张三", CITIZEN_PHONE], []),
]


def fill(url: str, world: dict) -> str:
    keys = {k: getattr(v, "pk", v) for k, v in world.items() if hasattr(v, "pk")}
    keys["tomorrow"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    return url.format(**keys)


def test_no_page_or_api_shows_a_person_in_full_before_显示(world):
    problems = []
    before = AuditEntry.objects.filter(action="pii.reveal").count()
    for what, viewer, url, api, secrets, masked in PAGES:
        response = client_for(world, viewer, api).get(fill(url, world))
        if response.status_code != 200:
            problems.append(f"{what}: {url} answered {response.status_code}")
            continue
        body = response.content.decode()
        if api:  # JSON escapes nothing in Chinese here, but be sure
            body += json.dumps(response.json(), ensure_ascii=False)
        problems += [f"{what}: shows {s!r} in full" for s in secrets if s in body]
        problems += [f"{what}: does not show the masked {m!r}" for m in masked if m not in body]
    assert not problems, "\n".join(problems)
    # Looking is not revealing: nothing was written.
    assert AuditEntry.objects.filter(action="pii.reveal").count() == before


def test_the_label_pdf_holds_no_owner(world):
    from pypdf import PdfReader

    response = (
        world["city"].api(world["city"].station_officer).get(f"/api/v1/cases/{world['case'].pk}/property/labels.pdf")
    )
    assert response.status_code == 200
    text = "".join(
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
        ).pages
    )  # noqa: E501
    text = text.replace("\x00", "")  # the CJK font's glyphs come out with a NUL before each
    assert world["item"].label_code in text
    assert OWNER_NAME not in text and OWNER_ID not in text


def test_downloading_the_accident_document_is_audited_as_a_viewing(world):
    """The 协议书 names the parties in full (it is their legal document): an officer's download is
    a viewing of their data, written to the trail like 显示."""
    city = world["city"]
    accident = world["accident"]
    before = AuditEntry.objects.count()
    response = city.login(city.station_officer).get(f"/reports/accidents/{accident.pk}/document.pdf")
    assert response.status_code == 200
    assert NO_STORE in response["Cache-Control"]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_id) == ("pii.reveal", city.station_officer, str(accident.pk))
    assert entry.data == {"field": "accident.document", "kind": "document"}
    assert city.login(city.outsider).get(f"/reports/accidents/{accident.pk}/document.pdf").status_code == 404
    assert AuditEntry.objects.count() == before + 1


#: (registry key, world object, viewer, full value).
REVEALS = [
    ("incident.caller_phone", "incident", "dispatcher", CALLER_PHONE),
    ("incident.caller_name", "incident", "dispatcher", CALLER_NAME),
    ("incident.caller_phone", "incident", "patrol_officer", CALLER_PHONE),  # the crew, on /m/
    ("missing.reporter_phone", "missing", "station_officer", CITIZEN_PHONE),
    ("missing.reporter_name", "missing", "station_officer", "张三"),
    ("missing.name", "missing", "station_officer", "王小明"),
    ("survey.phone", "survey", "station_officer", SURVEY_PHONE),
    ("case_person.name", "person", "station_officer", "王某"),
    ("case_person.id_number", "person", "station_officer", CITIZEN_ID),
    ("property_item.owner_name", "item", "station_officer", OWNER_NAME),
    ("property_item.owner_id_number", "item", "station_officer", OWNER_ID),
    ("application.applicant_name", "application", "station_officer", "张三"),
    ("application.phone", "application", "station_officer", CITIZEN_PHONE),
    ("application.id_number", "application", "station_officer", CITIZEN_ID),
    ("appointment.phone", "appointment", "leader", CITIZEN_PHONE),
    ("exam_booking.name", "exam_booking", "leader", "张三"),
]


def _post_reveal(client, key: str, pk: int, *, api: bool):
    obj, _, field = key.partition(".")
    if api:
        body = json.dumps({"object": obj, "id": pk, "field": field})
        return client.post("/api/v1/pii/reveal", body, content_type="application/json")
    return client.post("/pii/reveal/", {"object": obj, "id": pk, "field": field})


def _check_entry(entry, viewer, obj, key):
    assert entry.action == "pii.reveal"
    assert entry.actor == viewer
    assert entry.object_id == str(obj.pk)
    assert entry.object_type.endswith(type(obj).__name__.lower())
    assert entry.data == {"field": key, "kind": FIELDS[key].kind}


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_显示_shows_one_field_in_full_and_audits_it(world, api):
    for key, name, viewer_name, full in REVEALS:
        obj, viewer = world[name], who(world, viewer_name)
        before = AuditEntry.objects.count()
        response = _post_reveal(client_for(world, viewer_name, api), key, obj.pk, api=api)
        assert response.status_code == 200, (key, response.content.decode()[:300])
        assert NO_STORE in response["Cache-Control"], key
        if api:
            assert response.json() == {"value": full}, key
        else:
            assert full in response.content.decode(), key
        assert AuditEntry.objects.count() == before + 1, key
        _check_entry(AuditEntry.objects.latest("id"), viewer, obj, key)


def test_显示_reveals_an_accident_party_through_the_accident_scope(world):
    city = world["city"]
    party_b = world["accident"].parties.get(role="B")
    client = city.login(city.station_officer)
    for field, full in (("phone", CALLER_PHONE), ("licence", PARTY_B_LICENCE), ("name", "李四")):
        response = _post_reveal(client, f"accident_party.{field}", party_b.pk, api=False)
        assert response.status_code == 200
        assert full in response.content.decode()
        _check_entry(AuditEntry.objects.latest("id"), city.station_officer, party_b, f"accident_party.{field}")
    assert _post_reveal(city.login(city.outsider), "accident_party.phone", party_b.pk, api=False).status_code == 404


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_显示_refuses_another_station_unknown_fields_and_citizens_and_writes_nothing(world, api, citizen):
    from tests.conftest import portal_client

    city = world["city"]
    outsider = client_for(world, "outsider", api)
    before = AuditEntry.objects.count()
    for key, name, _viewer, full in REVEALS:
        response = _post_reveal(outsider, key, world[name].pk, api=api)
        assert response.status_code == 404, key
        assert full not in response.content.decode()
    own = client_for(world, "station_officer", api)
    assert _post_reveal(own, "incident.description", world["incident"].pk, api=api).status_code == 400
    assert _post_reveal(own, "case_person.name", 2**62, api=api).status_code == 404
    if api:
        bad = own.post("/api/v1/pii/reveal", json.dumps({"object": "incident", "id": "x", "field": "caller_phone"}),
                       content_type="application/json")  # fmt: skip
        assert bad.status_code == 400
    else:
        bad = own.post("/pii/reveal/", {"object": "incident", "id": "x", "field": "caller_phone"})
        assert bad.status_code == 400
        assert own.get("/pii/reveal/").status_code == 405
        # A citizen is not an officer: the staff sign-in, not the value.
        anonymous = portal_client(citizen).post("/pii/reveal/", {"object": "incident", "id": 1, "field": "caller_name"})
        assert anonymous.status_code == 302
        assert Client().post("/pii/reveal/", {"object": "incident", "id": 1, "field": "caller_name"}).status_code == 302
    assert AuditEntry.objects.count() == before
    assert city  # the world's city was used above


def test_the_panel_offers_显示_for_each_field_and_the_older_reveal_audits_the_same_way(world):
    city = world["city"]
    incident = world["incident"]
    desk = city.login(city.dispatcher)
    page = desk.get(f"/incidents/{incident.pk}/panel/").content.decode()
    assert page.count('class="btn secondary small pii-reveal"') == 2
    assert '"field": "caller_phone"' in page.replace("&quot;", '"')
    before = AuditEntry.objects.count()
    shown = desk.post(f"/incidents/{incident.pk}/reveal/").content.decode()
    assert CALLER_PHONE in shown and CALLER_NAME in shown
    entries = AuditEntry.objects.order_by("id")[before:]
    assert [e.data["field"] for e in entries] == ["incident.caller_phone", "incident.caller_name"]
    assert {e.action for e in entries} == {"pii.reveal"}


# --- no phone number in the timeline ----------------------------------------------------------------


def test_a_merged_repeat_call_writes_no_phone_number_into_the_timeline(world, call_data):
    city = world["city"]
    incident = world["incident"]
    for phone in ("13900001111", CALLER_PHONE, ""):
        ReceiveCall(by=city.dispatcher, data={**call_data, "caller_phone": phone}, merge_into=incident).execute()
    details = list(IncidentEvent.objects.filter(incident=incident, kind="repeat_call").values_list("detail", flat=True))
    assert len(details) == 3
    assert details[0].startswith("重复来电（另一号码）")
    assert details[1].startswith("重复来电（同一号码）")
    assert details[2].startswith("重复来电（未显示号码）")
    for detail in details:
        assert not any(ch.isdigit() for ch in detail.split("：")[0]), detail
        assert "13900001111" not in detail and CALLER_PHONE not in detail and "1111" not in detail
    entry = AuditEntry.objects.filter(action="incident.merge_call").latest("id")
    assert "13900001111" not in json.dumps(AuditEntry.objects.filter(action="incident.merge_call").first().data)
    assert entry.data["same_caller"] is False
    timeline = city.api(city.dispatcher).get(f"/api/v1/incidents/{incident.pk}").content.decode()
    assert "13900001111" not in timeline and CALLER_PHONE not in timeline


def test_an_older_timeline_entry_with_a_number_is_shown_masked(world):
    city = world["city"]
    incident = world["incident"]
    IncidentEvent.objects.create(
        incident=incident, kind="repeat_call", at=timezone.now(), actor=city.dispatcher, detail="来电 13900001111：又打"
    )
    for client, url in (
        (city.login(city.dispatcher), f"/incidents/{incident.pk}/panel/"),
        (city.api(city.dispatcher), f"/api/v1/incidents/{incident.pk}"),
        (city.login(world["admin"]), f"/admin/incidents/incident/{incident.pk}/change/"),
    ):
        body = client.get(url).content.decode()
        assert "13900001111" not in body, url
        assert "139****1111" in body, url
    assert Incident.objects.get(pk=incident.pk).caller_phone == CALLER_PHONE  # the model keeps the value
