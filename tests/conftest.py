"""The shared test city: a bureau with two branches, users for every role, and an outsider.

桃城 (A) has stations A1 (urban cells around 37.735, 115.675) and A2; 冀州 (B) has station B1
(suburban cells around 37.551, 115.579). The outsider is an officer of B1.
"""

import asyncio
import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.test import Client

from anmin.dispatch.models import Unit, UnitKind
from anmin.geo.models import AreaType
from anmin.org.models import ApiToken, Officer, Organization, Role
from tests.browser import asgi_server, browser  # noqa: F401  (fixtures for the browser tests)
from tests.factories import TEST_PASSWORD, OfficerFactory, OrganizationFactory, UnitFactory, make_cells

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
# Fixed test keys (32 bytes each, base64), also for the servers the tests start as subprocesses.
TEST_AUDIT_KEY = "dGVzdC1hdWRpdC1rZXktYW5taW4tbm90LXNlY3JldCE="
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS1hbm1pbi1ub3Qtc2VjcmV0LSE="
os.environ.setdefault("AUDIT_KEY", TEST_AUDIT_KEY)
os.environ.setdefault("DATA_KEY", TEST_DATA_KEY)
# The SMS gateway and the population register of the tests (the development ones refuse to run
# without DEBUG): messages stay in memory, every identity matches unless a test says otherwise.
TEST_SMS_BACKEND = "anmin.citizens.sms.MemoryBackend"
TEST_REALNAME_VERIFIER = "tests.realname.TestVerifier"
os.environ.setdefault("SMS_BACKEND", TEST_SMS_BACKEND)
os.environ.setdefault("REALNAME_VERIFIER", TEST_REALNAME_VERIFIER)


def _test_keys():
    # Django read its settings before this module ran (the imports above need them).
    from django.conf import settings

    settings.AUDIT_KEY = settings.AUDIT_KEY or os.environ["AUDIT_KEY"]
    settings.DATA_KEY = settings.DATA_KEY or os.environ["DATA_KEY"]
    settings.SMS_BACKEND = os.environ["SMS_BACKEND"]
    settings.REALNAME_VERIFIER = os.environ["REALNAME_VERIFIER"]


_test_keys()

A1_POINT = (37.735, 115.675)
B1_POINT = (37.551, 115.579)


@dataclass
class City:
    bureau: Organization
    command: Organization
    branch_a: Organization
    branch_b: Organization
    station_a1: Organization
    station_a2: Organization
    station_b1: Organization
    swat: Organization
    traffic: Organization
    dispatcher: Officer
    leader: Officer
    station_officer: Officer
    patrol_officer: Officer
    outsider: Officer
    patrol_car: Unit
    station_car: Unit
    swat_team: Unit
    traffic_rider: Unit
    outsider_car: Unit

    def token(self, officer: Officer) -> str:
        return ApiToken.issue(officer, name="test")[1]

    def api(self, officer: Officer) -> Client:
        return Client(headers={"Authorization": f"Bearer {self.token(officer)}"})

    def login(self, officer: Officer) -> Client:
        client = Client()
        client.force_login(officer)
        return client


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Rows are rolled back between tests; a cached Category or token must not outlive its row.
    from anmin.core.cache import clear_all

    clear_all()
    yield
    clear_all()


@pytest.fixture(autouse=True)
def _default_language():
    # A request in English (Accept-Language, the language cookie) leaves English active in this
    # thread; the next test's messages must be in the default language again.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Argon2 is the production hasher (see test_auth); tests hash with MD5 to stay fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_code_tables() -> None:
    """Reload the data migrations' tables: a transactional test flushes them for the tests after it."""
    from django.apps import apps as django_apps

    from anmin.incidents.models import Category
    from anmin.supervision.models import CalendarDay, TimeLimitRule

    if not Category.objects.exists():
        seed = importlib.import_module("anmin.incidents.migrations.0003_category_code_table")
        seed.load(django_apps, None)
        seed.load_targets(django_apps, None)
    if not CalendarDay.objects.exists():
        importlib.import_module("anmin.supervision.migrations.0002_legal_calendar").load(django_apps, None)
    if not TimeLimitRule.objects.exists():
        importlib.import_module("anmin.supervision.migrations.0003_time_limit_rules").load(django_apps, None)
    importlib.import_module("anmin.reviews.migrations.0002_default_rubric").load(django_apps, None)  # idempotent


@pytest.fixture
def city(db) -> City:
    ensure_code_tables()
    K = Organization.Kind
    bureau = OrganizationFactory(code="131100000000", name="衡水市公安局", kind=K.BUREAU, division_code="131100")
    command = OrganizationFactory(
        code="131100010000",
        name="市局指挥中心",
        kind=K.COMMAND,
        parent=bureau,
        division_code="131100",
        commands_all=True,
    )
    swat = OrganizationFactory(code="131100020000", name="特警支队", kind=K.SWAT, parent=bureau, division_code="131100")
    traffic = OrganizationFactory(
        code="131100030000", name="交警支队", kind=K.TRAFFIC, parent=bureau, division_code="131100"
    )
    branch_a = OrganizationFactory(code="131102000000", name="桃城分局", kind=K.BRANCH, parent=bureau)
    branch_b = OrganizationFactory(
        code="131103000000", name="冀州分局", kind=K.BRANCH, parent=bureau, division_code="131103"
    )
    a1 = OrganizationFactory(code="131102510000", name="河西派出所", kind=K.STATION, parent=branch_a)
    a2 = OrganizationFactory(code="131102520000", name="河东派出所", kind=K.STATION, parent=branch_a)
    b1 = OrganizationFactory(
        code="131103510000", name="冀州镇派出所", kind=K.STATION, parent=branch_b, division_code="131103"
    )
    make_cells(*A1_POINT, 3, a1, AreaType.URBAN)
    make_cells(37.76, 115.70, 1, a2, AreaType.SUBURBAN)
    make_cells(*B1_POINT, 2, b1, AreaType.SUBURBAN)

    dispatcher = OfficerFactory(username="dispatcher", organization=command, role=Role.DISPATCHER)
    leader = OfficerFactory(username="leader", organization=bureau, role=Role.LEADER)
    station_officer = OfficerFactory(username="station", organization=a1, role=Role.STATION)
    patrol_officer = OfficerFactory(username="patrol", organization=a1, role=Role.PATROL)
    outsider = OfficerFactory(username="outsider", organization=b1, role=Role.STATION)
    outsider_crew = OfficerFactory(username="outsider_crew", organization=b1, role=Role.PATROL)

    patrol_car = UnitFactory(
        callsign="河西01",
        kind=UnitKind.STATION_CAR,
        organization=a1,
        lat=37.737,
        lon=115.676,
        crew=[patrol_officer],
    )
    station_car = UnitFactory(callsign="河东01", kind=UnitKind.STATION_CAR, organization=a2, lat=37.76, lon=115.70)
    swat_team = UnitFactory(callsign="特警01", kind=UnitKind.SWAT, organization=swat, lat=37.75, lon=115.69)
    traffic_rider = UnitFactory(callsign="交警01", kind=UnitKind.TRAFFIC, organization=traffic, lat=37.745, lon=115.68)
    outsider_car = UnitFactory(
        callsign="冀州01",
        kind=UnitKind.STATION_CAR,
        organization=b1,
        lat=37.552,
        lon=115.58,
        crew=[outsider_crew],
    )
    return City(
        bureau=bureau,
        command=command,
        branch_a=branch_a,
        branch_b=branch_b,
        station_a1=a1,
        station_a2=a2,
        station_b1=b1,
        swat=swat,
        traffic=traffic,
        dispatcher=dispatcher,
        leader=leader,
        station_officer=station_officer,
        patrol_officer=patrol_officer,
        outsider=outsider,
        patrol_car=patrol_car,
        station_car=station_car,
        swat_team=swat_team,
        traffic_rider=traffic_rider,
        outsider_car=outsider_car,
    )


@pytest.fixture
def call_data():
    """A valid intake for a call in station A1's urban grid."""
    return {
        "category": "0601",
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "address": "桃城区人民路 100 号",
        "caller_phone": "13812345678",
        "description": "夫妻吵架，有摔东西声音",
        "priority": 2,
    }


__all__ = ["TEST_PASSWORD", "City"]


@pytest.fixture
def citizen(db):
    """A citizen signed up and verified (实名): 张三, 13912345678."""
    from django.utils import timezone

    from anmin.citizens.models import Citizen

    return Citizen.objects.create(
        phone="13912345678", name="张三", id_number="11010519491231002X", verified_at=timezone.now()
    )


def portal_client(citizen) -> Client:
    """A test client signed in on the portal as `citizen`."""
    from anmin.citizens.auth import SESSION_KEY

    client = Client()
    session = client.session
    session[SESSION_KEY] = citizen.pk
    session.save()
    return client


def http_scope(path="/x/", method="GET", headers=(), query=b""):
    """An ASGI HTTP scope as uvicorn builds it, from a client at 10.1.2.3."""
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "server": ("127.0.0.1", 8000),
        "client": ("10.1.2.3", 50000),
        "scheme": "http",
        "http_version": "1.1",
    }


def asgi_call(app, scope, body_chunks=(b"",), send_fails_after=None):
    """Run one request through the ASGI `app` in an event loop of its own; the messages it sent."""
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(body_chunks) - 1} for i, c in enumerate(body_chunks)
    ]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        return {"type": "http.disconnect"}

    async def send(message):
        if send_fails_after is not None and len(sent) >= send_fails_after:
            raise OSError("client went away")
        sent.append(message)

    # In a thread of its own: the session's Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(asyncio.run, app(scope, receive, send)).result()
    return sent
