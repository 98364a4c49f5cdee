"""Property-based fuzzing of the whole JSON API from its own OpenAPI document (schemathesis).

Every operation in /api/openapi.json is called with generated requests, valid and invalid, as a
bureau leader (so requests get past authentication and scoping), against a city with a few real
records so that some generated path ids land on objects. Whatever is sent, the API must never
answer 5xx, and every answer must be one the document declares, in the declared shape.

Bounded so CI stays fast: a fixed number of examples per operation, derandomized (the same requests
on every run, so a failure reproduces), no shrinking database kept between runs.
"""

import re

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from anmin.api import api
from anmin.cases.actions import AddPerson, OpenCase
from anmin.cases.models import ApprovalRequest, Case, CasePerson, Measure
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from anmin.library.actions import SaveDraft
from anmin.library.models import TypicalCase
from anmin.org.models import Officer
from anmin.property.actions import RegisterItem
from anmin.property.models import PropertyApproval, SeizedItem

#: Examples per operation: enough to reach the edges of each schema (huge ints, empty and odd
#: strings, wrong types) while the whole document runs in well under two minutes on two cores.
MAX_EXAMPLES = 12

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "no-shrink": True},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "suppress-health-check": ["too_slow", "filter_too_much"],
}


@pytest.fixture
def wsgi_app(settings):
    """Django's WSGI handler in the test's thread and transaction.

    The handler closes "old" connections at the start and end of each request, and inside the
    test's transaction every connection looks old; Django's own test client disconnects the same
    receivers for the same reason."""
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def records(city, call_data) -> dict[str, list[int]]:
    """A few real records, by the path segment that names them, for path ids to land on."""
    incident = ReceiveCall(by=city.dispatcher, data=dict(call_data, category="0110"), force_new=True).execute()[0]
    case = OpenCase(by=city.station_officer, kind="criminal", title="王某盗窃电动车案", incident=incident).execute()
    AddPerson(case=case, data={"role": "suspect", "name": "王某"}, by=city.station_officer).execute()
    RegisterItem(by=city.station_officer, case=case, kind="vehicle", description="电动车", quantity="1").execute()
    SaveDraft(by=city.leader, title="入室盗窃典型案例", summary="案情").execute()
    ids = {
        "incidents": Incident.objects.values_list("pk", flat=True),
        "cases": Case.objects.values_list("pk", flat=True),
        "persons": CasePerson.objects.values_list("pk", flat=True),
        "measures": Measure.objects.values_list("pk", flat=True),
        "property": SeizedItem.objects.values_list("pk", flat=True),
        "approvals": [
            *ApprovalRequest.objects.values_list("pk", flat=True),
            *PropertyApproval.objects.values_list("pk", flat=True),
        ],
        "library": TypicalCase.objects.values_list("pk", flat=True),
        "manage": TypicalCase.objects.values_list("pk", flat=True),
        "units": [city.patrol_car.pk, city.station_car.pk, city.outsider_car.pk],
        "officers": Officer.objects.values_list("pk", flat=True),
    }
    return {segment: list(values) for segment, values in ids.items() if values}


# Loaded from the document the API serves (the same function /api/openapi.json answers with), at
# collection time, so that each operation is a test of its own with its own fixtures.
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1/"), config=SchemathesisConfig.from_dict(CONFIG)
)

_PARAM = re.compile(r"/([a-z-]+)/\{(\w+)\}")


def land_on_records(case, records: dict[str, list[int]]) -> None:
    """Small generated path ids are swapped for real ones, so the happy paths run too; large and
    out-of-range ids are kept, since those are what once answered 500."""
    for segment, name in _PARAM.findall(case.path):
        value = (case.path_parameters or {}).get(name)
        known = records.get(segment)
        if known and isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1000:
            case.path_parameters[name] = known[value % len(known)]


@pytest.fixture
def token(city) -> str:
    """A bureau leader's token: every station's records are in scope."""
    return city.token(city.leader)


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures hold the city and its records for all of an operation's examples on purpose:
    # each example adds to the same database, as requests do in production.
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
    ],
)
def test_the_api_never_answers_5xx_and_keeps_to_its_document(case, wsgi_app, token, records):
    land_on_records(case, records)
    case.call_and_validate(app=wsgi_app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
