"""Integers in API input are bounded: a number larger than the database can hold is a 400 naming the
field, never a 500 from the driver. Each route here answered 500 to 18864382035448750080 (> 2^64)."""

import json

import pytest
from django.utils import timezone
from ninja import Schema

from anmin.cases.actions import OpenCase
from anmin.core.forms import MAX_ID
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from anmin.reviews.models import Deliberation

HUGE = 18864382035448750080  # the fuzzer's number: above 2^64
TOO_BIG = MAX_ID + 1  # the first id a bigint cannot hold


def send(client, method, url, data):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def assert_names(response, field: str):
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail and all(item["message"] and item["code"] for item in detail)
    fields = [item["field"] for item in detail]
    assert any(f == field or f.startswith(f"{field}.") for f in fields if f), detail


@pytest.fixture
def api(city):
    return city.api(city.leader)


@pytest.fixture
def incident(city, call_data):
    return ReceiveCall(by=city.dispatcher, data=dict(call_data), force_new=True).execute()[0]


@pytest.fixture
def case(city):
    return OpenCase(by=city.station_officer, kind="criminal", title="王某盗窃电动车案").execute()


@pytest.mark.parametrize("url", ["/api/v1/incidents", "/api/v1/cases", "/api/v1/notices", "/api/v1/property"])
@pytest.mark.parametrize("offset", [HUGE, TOO_BIG, -1])
def test_it_rejects_an_offset_out_of_range_naming_it(api, url, offset):
    assert_names(api.get(url, {"offset": offset}), "offset")


@pytest.mark.parametrize("url", ["/api/v1/incidents", "/api/v1/cases", "/api/v1/notices", "/api/v1/property"])
def test_it_still_accepts_the_largest_offset(api, url):
    response = api.get(url, {"offset": MAX_ID})
    assert response.status_code == 200, response.content
    assert response.json() == []


def test_it_answers_too_many_query_fields_in_json(api, case):
    # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses before ninja sees them, and the
    # answer was Django's HTML 400 page (found by the fuzz test on the labels' `item` list).
    query = "&".join(f"item={n}" for n in range(1, 1200))
    response = api.get(f"/api/v1/cases/{case.pk}/property/labels.pdf?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"][0]["code"] == "too_many_fields"


@pytest.mark.parametrize("case_id", [HUGE, TOO_BIG, 0, "abc"])
def test_it_rejects_a_property_case_id_out_of_range(api, case_id):
    assert_names(api.get("/api/v1/property", {"case_id": case_id}), "case_id")


@pytest.mark.parametrize("unit_id", [HUGE, TOO_BIG, 0, -5])
def test_it_rejects_huge_unit_ids_when_dispatching_and_dispatches_nothing(city, incident, unit_id):
    api = city.api(city.dispatcher)
    url = f"/api/v1/incidents/{incident.pk}/dispatch"
    assert_names(send(api, "post", url, {"unit_ids": [city.patrol_car.pk, unit_id]}), "unit_ids")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RECEIVED
    assert not incident.assignments.exists()


def test_it_rejects_an_endless_list_of_unit_ids(city, incident):
    api = city.api(city.dispatcher)
    url = f"/api/v1/incidents/{incident.pk}/dispatch"
    assert_names(send(api, "post", url, {"unit_ids": list(range(1, 10_002))}), "unit_ids")


@pytest.mark.parametrize("officer_id", [HUGE, TOO_BIG, 0])
def test_it_rejects_huge_helper_ids(city, case, officer_id):
    api = city.api(city.station_officer)
    url = f"/api/v1/cases/{case.pk}/helpers"
    assert_names(send(api, "put", url, {"officer_ids": [city.patrol_officer.pk, officer_id]}), "officer_ids")
    assert not case.helpers.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"attendee_ids": [HUGE]}, "attendee_ids"), ({"chair_id": HUGE}, "chair_id"), ({"chair_id": TOO_BIG}, "chair_id")],
)
def test_it_rejects_huge_deliberation_participants(city, case, change, field):
    payload = {
        "held_at": timezone.now().isoformat(),
        "chair_id": city.station_officer.pk,
        "attendee_ids": [city.station_officer.pk, city.patrol_officer.pk],
        "question": "议题",
        "decision": "决定",
    } | change
    api = city.api(city.station_officer)
    assert_names(send(api, "post", f"/api/v1/cases/{case.pk}/deliberations", payload), field)
    assert not Deliberation.objects.exists()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/incidents/{n}", "incident_id"),
        ("/api/v1/cases/{n}", "case_id"),
        ("/api/v1/property/{n}", "item_id"),
        ("/api/v1/library/{n}", "case_id"),
        ("/api/v1/services/applications/{n}", "pk"),
        ("/api/v1/feedback/surveys/{n}", "survey_id"),
        ("/api/v1/reports/accidents/{n}", "accident_id"),
    ],
)
@pytest.mark.parametrize("n", [HUGE, TOO_BIG, 0, -1])
def test_it_rejects_a_path_id_out_of_range(api, url, field, n):
    assert_names(api.get(url.format(n=n)), field)


def test_it_answers_404_for_an_id_in_range_that_does_not_exist(api):
    response = api.get(f"/api/v1/incidents/{MAX_ID}")
    assert response.status_code == 404
    assert response.json()["detail"][0]["code"] == "not_found"


def test_it_rejects_a_huge_merge_target_at_intake(city, call_data):
    count = Incident.objects.count()
    assert_names(
        send(city.api(city.dispatcher), "post", "/api/v1/incidents", {**call_data, "merge_into": HUGE}), "merge_into"
    )
    assert Incident.objects.count() == count


def test_it_rejects_a_huge_source_incident_for_a_case(city):
    response = send(
        city.api(city.station_officer), "post", "/api/v1/cases", {"kind": "criminal", "title": "x", "incident_id": HUGE}
    )
    assert_names(response, "incident_id")


def test_the_openapi_document_declares_the_errors_of_every_route(client, settings):
    settings.DEBUG = True  # the document is open to strangers only in development
    document = client.get("/api/openapi.json").json()
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["properties"]["detail"]["type"] == "array"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "403", "404", "409"):
                assert status in responses, (method, path, status)
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}
            assert ("401" in responses) == bool(operation.get("security")), (method, path)


def test_the_openapi_document_bounds_every_integer_input(client, settings):
    """No integer parameter or body field without a maximum: the driver must never see one it cannot bind."""
    settings.DEBUG = True  # the document is open to strangers only in development
    document = client.get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded = []

    def walk(schema, where, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas[name], f"{where}>{name}", (*seen, name))
            return
        if schema.get("type") == "integer" and "maximum" not in schema and "exclusiveMaximum" not in schema:
            unbounded.append(where)
        # File uploads are bounded by the request body limit and the actions' per-item counts instead.
        files = schema.get("items", {}).get("format") == "binary"
        if schema.get("type") == "array" and "maxItems" not in schema and not files:
            unbounded.append(f"{where}[]")
        for key in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(schema.get(key, [])):
                walk(sub, f"{where}|{i}", seen)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]", seen)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{where}{{}}", seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], f"{method} {path} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media["schema"], f"{method} {path} body")
    assert unbounded == [], unbounded


def test_no_two_api_schemas_share_a_name():
    """The OpenAPI document names each schema by its class: a second `ItemOut` silently replaced the
    first, and the document described property items with the service catalogue's fields."""
    import anmin.api  # noqa: F401  (loads every router)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    owners: dict[str, set[str]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("anmin.") and cls.__module__.endswith((".api", ".schema")):
            owners.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: mods for name, mods in owners.items() if len(mods) > 1} == {}


@pytest.mark.parametrize(
    ("method", "url", "data", "field"),
    [
        ("get", "/api/v1/library/manage", {"tag": "盗\x00窃"}, "tag"),
        ("get", "/api/v1/library", {"q": "\x00"}, "q"),
        ("get", "/api/v1/property", {"q": "a\x00"}, "q"),
        ("get", "/api/v1/reports/accidents", {"status": "pending\x00"}, "status"),
        ("post", "/api/v1/cases", {"kind": "criminal", "title": "x", "category": "01\x00"}, "category"),
        ("post", "/api/v1/feedback/answer", {"token": "\x00", "rating": "satisfied"}, "token"),
    ],
)
def test_it_refuses_nul_in_any_text_naming_the_field(city, method, url, data, field):
    """PostgreSQL cannot compare text holding NUL: a search for it was a 500 there."""
    api = city.api(city.leader)
    response = api.get(url, data) if method == "get" else send(api, method, url, data)
    assert_names(response, field)
    assert response.json()["detail"][0]["code"] == "nul"
