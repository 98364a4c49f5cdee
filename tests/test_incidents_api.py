"""The incidents API (/api/v1/incidents, /api/v1/categories): intake, list, detail, repeat calls,
input validation that always names the field and writes nothing, and token authentication."""

import json
import re
from datetime import timedelta

import h3
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anmin.core.models import AuditEntry
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import DailySequence, Incident, IncidentEvent
from anmin.org.models import ApiToken
from tests.conftest import A1_POINT, B1_POINT

URL = "/api/v1/incidents"
NUMBER_RE = re.compile(r"^131100-(\d{8})-(\d{6})$")


def post(client: Client, data, url: str = URL):
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return client.post(url, body, content_type="application/json")


def seq_of(number: str) -> int:
    return int(NUMBER_RE.match(number).group(2))


@pytest.fixture
def api(city):
    return city.api(city.dispatcher)


# --- intake ---------------------------------------------------------------------------------


def test_it_creates_an_incident_in_the_right_cell_and_station(api, call_data):
    response = post(api, call_data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body["id"], int)
    incident = Incident.objects.get(pk=body["id"])
    match = NUMBER_RE.match(body["number"])
    assert match, body["number"]
    assert match.group(1) == f"{timezone.localdate():%Y%m%d}"
    assert body["number"] == incident.number
    assert body["grid_cell"] == h3.latlng_to_cell(*A1_POINT, settings.GRID_RESOLUTION)
    assert body["station"] == {"code": "131102510000", "name": "河西派出所"}
    assert body["status"] == "received"
    assert body["status_label"] == "待派警"
    assert body["category"] == "0601"
    assert body["klass"] == "dispute"
    assert body["priority"] == 2
    assert body["area_type"] == "urban"
    assert body["target_minutes"] == 5
    assert body["overdue"] is False
    assert body["call_count"] == 1
    assert body["assignments"] == []
    assert [(e["kind"], e["label"]) for e in body["timeline"]] == [("received", "接警")]
    assert body["timeline"][0]["actor"] == city_badge(incident)


def city_badge(incident: Incident) -> str:
    return incident.received_by.badge_number


def test_it_numbers_two_calls_consecutively(api, call_data):
    first = post(api, call_data).json()["number"]
    # Another caller: a call from the same number within minutes would be offered as a repeat call.
    other = {**call_data, "category": "0110", "description": "电动车被盗", "caller_phone": "13900000001"}
    second = post(api, other).json()["number"]
    assert first[:16] == second[:16]  # same bureau, same day
    assert seq_of(second) == seq_of(first) + 1


def test_it_records_who_received_the_call_and_audits_it(city, api, call_data):
    body = post(api, call_data).json()
    incident = Incident.objects.get(pk=body["id"])
    assert incident.received_by == city.dispatcher
    entry = AuditEntry.objects.get(action="incident.receive", object_id=str(incident.pk))
    assert entry.actor == city.dispatcher
    assert entry.data["number"] == incident.number


def test_it_defaults_serious_violence_to_the_highest_priority(api, call_data):
    data = {**call_data, "category": "0106", "description": "持刀抢劫"}
    del data["priority"]
    body = post(api, data).json()
    assert body["priority"] == 1
    assert body["serious_violence"] is True


def test_it_defaults_other_categories_to_normal_priority(api, call_data):
    data = {**call_data, "category": "0801"}
    del data["priority"]
    assert post(api, data).json()["priority"] == 3


def test_it_gives_a_suburban_cell_its_ten_minute_target(api, call_data):
    body = post(api, {**call_data, "lat": B1_POINT[0], "lon": B1_POINT[1]}).json()
    assert body["station"]["name"] == "冀州镇派出所"
    assert body["area_type"] == "suburban"
    assert body["target_minutes"] == 10


def test_it_trims_text_fields(api, call_data):
    body = post(api, {**call_data, "address": "  桃城区人民路 100 号  "}).json()
    assert body["address"] == "桃城区人民路 100 号"


# --- list and detail ------------------------------------------------------------------------


def _receive(city, call_data, **overrides):
    incident, _created = ReceiveCall(by=city.dispatcher, data={**call_data, **overrides}, force_new=True).execute()
    return incident


def test_it_lists_incidents_newest_first(city, api, call_data):
    old = _receive(city, call_data)
    new = _receive(city, call_data, category="0110")
    response = api.get(URL)
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()]
    assert ids[:2] == [new.pk, old.pk]


def test_it_masks_the_caller_phone_in_the_list(city, api, call_data):
    _receive(city, call_data)
    row = api.get(URL).json()[0]
    assert row["caller_phone"] == "138****5678"


def test_it_filters_the_list_by_status(city, api, call_data):
    received = _receive(city, call_data)
    dispatched = _receive(city, call_data, category="0110")
    Incident.objects.filter(pk=dispatched.pk).update(status=Incident.Status.DISPATCHED)
    ids = [row["id"] for row in api.get(URL, {"status": "received"}).json()]
    assert ids == [received.pk]
    ids = [row["id"] for row in api.get(URL, {"status": "dispatched"}).json()]
    assert ids == [dispatched.pk]


def test_it_rejects_an_unknown_status_filter(api):
    response = api.get(URL, {"status": "bogus"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "status"


def test_it_filters_the_list_by_since(city, api, call_data):
    now = timezone.now()
    old = ReceiveCall(by=city.dispatcher, data=call_data, at=now - timedelta(hours=3)).execute()[0]
    new = _receive(city, call_data, category="0110")
    since = (now - timedelta(hours=1)).isoformat()
    ids = [row["id"] for row in api.get(URL, {"since": since}).json()]
    assert ids == [new.pk]
    ids = [row["id"] for row in api.get(URL, {"since": (now - timedelta(hours=4)).isoformat()}).json()]
    assert set(ids) == {old.pk, new.pk}


def test_it_limits_and_offsets_the_list(city, api, call_data):
    made = [_receive(city, call_data, category=code) for code in ("0110", "0111", "0112")]
    rows = api.get(URL, {"limit": 2, "offset": 1}).json()
    assert [r["id"] for r in rows] == [made[1].pk, made[0].pk]
    assert api.get(URL, {"limit": 0}).status_code == 400
    assert api.get(URL, {"limit": 501}).status_code == 400


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_it_lists_incidents_in_a_constant_number_of_queries(city, call_data):
    client = city.api(city.station_officer)  # a scoped user: visible_to adds the Exists() subquery
    _receive(city, call_data)
    client.get(URL)  # the first use of a token also stamps last_used_at
    few = _queries(client, URL)
    codes = ["0110", "0111", "0112", "0113", "0201", "0202", "0203", "0204", "0205", "0206"]
    for code in codes:
        _receive(city, call_data, category=code)
    assert len(client.get(URL).json()) == 11
    assert _queries(client, URL) == few
    assert few <= 3  # the token with its officer and organization, the list


def test_it_scopes_the_list_to_the_users_station(city, call_data):
    a1 = _receive(city, call_data)
    b1 = _receive(city, call_data, lat=B1_POINT[0], lon=B1_POINT[1])
    assert {r["id"] for r in city.api(city.station_officer).get(URL).json()} == {a1.pk}
    assert {r["id"] for r in city.api(city.outsider).get(URL).json()} == {b1.pk}
    assert {r["id"] for r in city.api(city.dispatcher).get(URL).json()} == {a1.pk, b1.pk}


def test_it_shows_the_detail_with_the_timeline(city, api, call_data):
    incident = _receive(city, call_data)
    response = api.get(f"{URL}/{incident.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == incident.pk
    assert body["number"] == incident.number
    assert body["timeline"][0]["kind"] == "received"
    assert body["timeline"][0]["detail"] == "家庭纠纷 桃城区人民路 100 号"
    assert body["assignments"] == []


def test_it_answers_404_json_for_a_missing_incident(api):
    response = api.get(f"{URL}/999999")
    assert response.status_code == 404
    assert response.json()["detail"][0]["code"] == "not_found"


def test_it_masks_the_caller_phone_in_the_detail(city, api, call_data):
    incident = _receive(city, call_data)
    before = AuditEntry.objects.count()
    body = api.get(f"{URL}/{incident.pk}").json()
    assert body["caller_phone"] == "138****5678"
    assert AuditEntry.objects.count() == before


def test_it_echoes_the_full_phone_only_to_whoever_typed_it(api, call_data):
    created = post(api, call_data).json()
    assert created["caller_phone"] == "13812345678"
    merged = post(api, {**call_data, "caller_phone": "13900001111", "merge_into": created["id"]}).json()
    assert merged["caller_phone"] == "138****5678"


def test_it_reveals_the_caller_on_demand_and_audits_the_viewing(city, api, call_data):
    incident = _receive(city, call_data, caller_name="张三")
    before = AuditEntry.objects.count()
    response = api.get(f"{URL}/{incident.pk}/caller")
    assert response.status_code == 200
    assert response.json() == {"caller_phone": "13812345678", "caller_name": "张三"}
    # One entry per field shown, the same as "显示" on the page writes.
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [(e.action, e.data["field"], e.data["kind"]) for e in entries] == [
        ("pii.reveal", "incident.caller_phone", "phone"),
        ("pii.reveal", "incident.caller_name", "name"),
    ]
    assert {(e.actor, e.object_id) for e in entries} == {(city.dispatcher, str(incident.pk))}


# --- categories -----------------------------------------------------------------------------


def test_it_lists_the_category_code_table(api):
    response = api.get("/api/v1/categories")
    assert response.status_code == 200
    rows = response.json()
    by_code = {r["code"]: r for r in rows}
    for row in rows:
        assert set(row) >= {"code", "name", "class", "class_label", "parent", "serious_violence"}
    assert by_code["0601"] == {
        "code": "0601",
        "name": "家庭纠纷",
        "class": "dispute",
        "class_label": "纠纷",
        "parent": "06",
        "serious_violence": False,
    }
    assert by_code["03"]["parent"] is None
    assert by_code["0302"]["class"] == "traffic"
    serious = sorted(r["code"] for r in rows if r["serious_violence"])
    assert serious == ["0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108"]
    assert by_code["0109"]["serious_violence"] is False  # 轻伤 is not one of the eight


# --- repeat calls ---------------------------------------------------------------------------


def test_it_detects_a_repeat_call_and_offers_candidates(api, call_data):
    first = post(api, call_data).json()
    nearby = {**call_data, "lat": A1_POINT[0] + 0.001, "caller_phone": "13900001111"}  # ~110 m away
    count = Incident.objects.count()
    response = post(api, nearby)
    assert response.status_code == 409
    item = response.json()["detail"][0]
    assert item["code"] == "repeat_call"
    assert item["field"] == "merge_into"
    assert first["number"] in item["message"]
    assert item["candidates"] == [{"id": first["id"], "number": first["number"], "address": first["address"]}]
    assert Incident.objects.count() == count


def test_it_merges_a_repeat_call_into_the_open_incident(api, call_data):
    first = post(api, call_data).json()
    count = Incident.objects.count()
    response = post(api, {**call_data, "caller_phone": "13900001111", "merge_into": first["id"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == first["id"]
    assert body["number"] == first["number"]
    assert body["call_count"] == 2
    assert [e["kind"] for e in body["timeline"]] == ["received", "repeat_call"]
    # The timeline says another number called, never the number (anyone in scope reads it).
    assert body["timeline"][1]["detail"].startswith("重复来电（另一号码）")
    assert "1111" not in body["timeline"][1]["detail"]
    assert Incident.objects.count() == count
    assert AuditEntry.objects.filter(action="incident.merge_call").count() == 1


def test_it_records_a_new_incident_when_forced(api, call_data):
    first = post(api, call_data).json()
    response = post(api, {**call_data, "force_new": True})
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != first["id"]
    assert seq_of(body["number"]) == seq_of(first["number"]) + 1
    assert Incident.objects.count() == 2


def test_it_does_not_treat_a_different_category_or_a_far_place_as_repeat(api, call_data):
    post(api, call_data)
    # Other callers (the same number would be a repeat call wherever it calls from).
    assert post(api, {**call_data, "category": "0602", "caller_phone": "13900000001"}).status_code == 201
    far = {**call_data, "lat": A1_POINT[0] + 0.005, "caller_phone": "13900000002"}  # ~550 m away
    assert post(api, far).status_code == 201


def test_it_does_not_treat_an_old_call_as_repeat(city, api, call_data):
    ReceiveCall(by=city.dispatcher, data=call_data, at=timezone.now() - timedelta(minutes=11)).execute()
    assert post(api, call_data).status_code == 201


def test_it_does_not_merge_into_a_closed_incident(city, api, call_data):
    first = post(api, call_data).json()
    Incident.objects.filter(pk=first["id"]).update(status=Incident.Status.CANCELLED)
    response = post(api, {**call_data, "merge_into": first["id"]})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "merge_into"
    assert Incident.objects.get(pk=first["id"]).call_count == 1


def test_it_does_not_merge_into_an_invisible_incident(city, call_data):
    first = post(city.api(city.dispatcher), call_data).json()
    response = post(city.api(city.outsider), {**call_data, "merge_into": first["id"]})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "merge_into"
    assert Incident.objects.get(pk=first["id"]).call_count == 1


# --- bad input: every error names the field and nothing is written ---------------------------

BAD_INPUTS = [
    # (id, changes to the valid call (None deletes the key), field named, status)
    ("lat_too_high", {"lat": 91}, "lat", 400),
    ("lat_too_low", {"lat": -90.5}, "lat", 400),
    ("lon_out_of_range", {"lon": 181}, "lon", 400),
    ("outside_city_grid", {"lat": 39.9, "lon": 116.4}, "lat", 400),
    ("unknown_category", {"category": "9999"}, "category", 400),
    ("empty_category", {"category": ""}, "category", 400),
    ("empty_address", {"address": ""}, "address", 400),
    ("blank_address", {"address": "   "}, "address", 400),
    ("oversized_address", {"address": "地" * 201}, "address", 400),
    ("oversized_description", {"description": "述" * 2001}, "description", 400),
    ("oversized_caller_name", {"caller_name": "名" * 31}, "caller_name", 400),
    ("phone_with_letters", {"caller_phone": "138abc45678"}, "caller_phone", 400),
    ("oversized_phone", {"caller_phone": "1" * 21}, "caller_phone", 400),
    ("nul_in_address", {"address": "人民路\x00100号"}, "address", 400),
    ("lat_not_a_number", {"lat": "abc"}, "lat", 400),
    ("lat_null", {"lat": None}, "lat", 400),
    ("lon_is_a_list", {"lon": [115.6]}, "lon", 400),
    ("priority_not_a_number", {"priority": "x"}, "priority", 400),
    ("priority_zero", {"priority": 0}, "priority", 400),
    ("priority_four", {"priority": 4}, "priority", 400),
    ("category_is_a_number", {"category": 123}, "category", 400),
    ("address_is_a_number", {"address": 5}, "address", 400),
    ("missing_category", {"category": ...}, "category", 400),
    ("missing_lat", {"lat": ...}, "lat", 400),
    ("missing_lon", {"lon": ...}, "lon", 400),
    ("missing_address", {"address": ...}, "address", 400),
    ("merge_into_not_a_number", {"merge_into": "abc"}, "merge_into", 400),
    ("merge_into_unknown", {"merge_into": 999999}, "merge_into", 400),
    ("force_new_not_a_bool", {"force_new": "maybe"}, "force_new", 400),
]


@pytest.fixture
def existing(city, call_data):
    """One incident already in the database, so counts start above zero."""
    return _receive(city, call_data, category="0801")


def _assert_names_field(response, field: str, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) >= {"field", "message"}
        assert item["message"]
    assert field in [item["field"] for item in detail], detail


@pytest.mark.parametrize(("changes", "field", "status"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_it_rejects_bad_input_naming_the_field_and_writes_nothing(api, call_data, existing, changes, field, status):
    data = {**call_data, "category": "0110"}
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    counts = (Incident.objects.count(), AuditEntry.objects.count(), IncidentEvent.objects.count())
    sequence = list(DailySequence.objects.values_list("last", flat=True))
    _assert_names_field(post(api, data), field, status)
    assert (Incident.objects.count(), AuditEntry.objects.count(), IncidentEvent.objects.count()) == counts
    assert list(DailySequence.objects.values_list("last", flat=True)) == sequence


def test_it_rejects_a_boolean_priority(api, call_data, existing):
    count = Incident.objects.count()
    response = post(api, {**call_data, "category": "0110", "priority": True})
    _assert_names_field(response, "priority", 400)
    assert Incident.objects.count() == count


def test_it_rejects_a_body_missing_every_field_naming_each(api, existing):
    counts = (Incident.objects.count(), AuditEntry.objects.count())
    response = post(api, {})
    assert response.status_code == 400
    fields = {item["field"] for item in response.json()["detail"]}
    assert fields >= {"category", "lat", "lon", "address"}
    assert (Incident.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.parametrize("body", ["not json", "{", "[1, 2]", '"text"'])
def test_it_rejects_a_body_that_is_not_a_json_object(api, existing, body):
    counts = (Incident.objects.count(), AuditEntry.objects.count())
    response = post(api, body)
    assert 400 <= response.status_code < 500
    detail = response.json()["detail"]
    assert detail and all(item["message"] for item in detail)
    assert (Incident.objects.count(), AuditEntry.objects.count()) == counts


def test_it_names_the_body_when_it_is_not_json(api, existing):
    item = post(api, "not json").json()["detail"][0]
    assert item["field"] == "body"
    assert "JSON" in item["message"]


def test_it_rejects_a_unit_ids_string_when_dispatching(city, api, existing):
    response = post(api, {"unit_ids": "1"}, url=f"{URL}/{existing.pk}/dispatch")
    _assert_names_field(response, "unit_ids", 400)
    existing.refresh_from_db()
    assert existing.status == Incident.Status.RECEIVED
    assert not existing.assignments.exists()


def test_it_refuses_intake_by_a_role_that_cannot_take_calls(city, call_data):
    counts = (Incident.objects.count(), AuditEntry.objects.count())
    response = post(city.api(city.patrol_officer), call_data)
    assert response.status_code == 403
    assert response.json()["detail"][0]["code"] == "forbidden"
    assert (Incident.objects.count(), AuditEntry.objects.count()) == counts


# --- authentication -------------------------------------------------------------------------


def test_it_requires_a_token(city):
    response = Client().get(URL)
    assert response.status_code == 401
    assert response.json()["detail"][0]["field"] == "Authorization"
    assert Client().post(URL, "{}", content_type="application/json").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + "x" * 300])
def test_it_rejects_a_bad_token(city, header):
    response = Client(headers={"Authorization": header}).get(URL)
    assert response.status_code == 401


def test_it_rejects_a_revoked_token(city):
    token, raw = ApiToken.issue(city.dispatcher)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(URL).status_code == 200
    token.revoked = True  # as the admin does: save() clears this process's token cache at once
    token.save()
    assert client.get(URL).status_code == 401


def test_it_rejects_the_token_of_a_deactivated_officer(city):
    client = city.api(city.dispatcher)
    city.dispatcher.is_active = False
    city.dispatcher.save()
    assert client.get(URL).status_code == 401


def test_it_accepts_a_session_as_well_as_a_token(city):
    assert city.login(city.dispatcher).get(URL).status_code == 200


# --- OpenAPI --------------------------------------------------------------------------------


def test_it_serves_the_openapi_document(city):
    response = city.api(city.dispatcher).get("/api/openapi.json")  # to officers only (test_security_headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/incidents"])
    assert "get" in paths["/api/v1/incidents/{incident_id}"]
    assert "get" in paths["/api/v1/categories"]
    assert "post" in paths["/api/v1/incidents/{incident_id}/dispatch"]
