"""The demo city: a Hengshui-like bureau whose data obeys the same rules as live data."""

import io
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from anmin.demo.builder import DEMO_PASSWORD, LOGINS, DemoCityExists, build_demo_city, demo_logins
from anmin.demo.cases import build_demo_cases
from anmin.dispatch.models import Assignment, FeedbackResult, Unit, UnitKind, UnitStatus
from anmin.geo.models import AreaType, ArrivalTarget, GridCell, PatrolLine, Place, Post
from anmin.incidents.models import DailySequence, Incident, IncidentEvent
from anmin.org.models import Officer, Organization, Role
from tests.conftest import ensure_code_tables

COUNTIES = {
    "131121": "枣强县公安局",
    "131122": "武邑县公安局",
    "131123": "武强县公安局",
    "131124": "饶阳县公安局",
    "131125": "安平县公安局",
    "131126": "故城县公安局",
    "131127": "景县公安局",
    "131128": "阜城县公安局",
    "131182": "深州市公安局",
}
TIMELINE = [
    IncidentEvent.Kind.RECEIVED,
    IncidentEvent.Kind.DISPATCHED,
    IncidentEvent.Kind.ARRIVED,
    IncidentEvent.Kind.RESOLVED,
    IncidentEvent.Kind.REPORTED,
]


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    """Build the city once for the module (two days of history) and roll it all back afterwards.

    Each test still runs in its own savepoint inside this transaction, so what a test writes is
    undone before the next one. The build hashes with MD5 like the rest of the suite (conftest).
    """
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        try:
            ensure_code_tables()
            logins = build_demo_city(days=2)
            build_demo_cases()
            yield logins
        finally:
            transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_city")]


def test_it_roots_the_tree_at_the_hengshui_bureau():
    bureau = Organization.objects.get(parent__isnull=True)
    assert bureau.kind == Organization.Kind.BUREAU
    assert bureau.code.startswith("131100")
    assert bureau.code == "131100000000"
    assert bureau.name == "衡水市公安局"
    command = Organization.objects.get(kind=Organization.Kind.COMMAND)
    assert command.commands_all and command.parent == bureau
    for kind in (Organization.Kind.SWAT, Organization.Kind.PATROL):
        assert Organization.objects.get(kind=kind).parent == bureau
    brigades = Organization.objects.filter(kind=Organization.Kind.TRAFFIC, parent__kind=Organization.Kind.TRAFFIC)
    assert brigades.filter(division_code="131102").exists()


def test_it_has_taocheng_jizhou_and_the_nine_counties_with_their_gbt2260_codes():
    branches = {
        o.division_code: o for o in Organization.objects.filter(kind=Organization.Kind.BRANCH).select_related("parent")
    }
    assert set(branches) == {"131102", "131103", *COUNTIES}
    assert "桃城" in branches["131102"].name and "冀州" in branches["131103"].name
    for division, name in COUNTIES.items():
        assert branches[division].name == name
    for division, branch in branches.items():
        assert branch.code == f"{division}000000"
        assert branch.parent.kind == Organization.Kind.BUREAU


def test_every_branch_has_stations_and_the_known_ones_exist():
    stations = Organization.objects.filter(kind=Organization.Kind.STATION)
    per_branch = dict(stations.values_list("parent__division_code").annotate(n=Count("id")))
    assert 10 <= per_branch["131102"] <= 14
    assert 5 <= per_branch["131103"] <= 7
    for division in COUNTIES:
        assert 4 <= per_branch[division] <= 6
    assert stations.get(name="冀州镇派出所").parent.division_code == "131103"
    assert stations.get(name="郑口派出所").parent.division_code == "131126"
    assert stations.get(name="河西派出所").parent.division_code == "131102"
    for station in stations:
        assert re.fullmatch(rf"{station.division_code}5\d\d000", station.code)
        assert station.path.startswith(station.parent.path)


def test_it_has_32_street_posts_and_9_checkpoints():
    posts = Organization.objects.filter(kind=Organization.Kind.POST).select_related("parent")
    assert posts.count() == 32
    assert {p.parent.kind for p in posts} == {Organization.Kind.STATION}
    assert {p.parent.division_code for p in posts} == {"131102"}
    street = Post.objects.filter(kind=Post.Kind.STREET)
    assert street.count() == 32
    assert set(street.values_list("organization_id", flat=True)) == {p.pk for p in posts}
    assert Post.objects.filter(kind=Post.Kind.CHECKPOINT).count() == 9
    assert (
        Post.objects.filter(kind=Post.Kind.STATION).count()
        == Organization.objects.filter(kind=Organization.Kind.STATION).count()
    )
    assert Post.objects.filter(kind=Post.Kind.SWAT).exists()
    assert Post.objects.filter(kind=Post.Kind.TRAFFIC).count() == 16
    assert PatrolLine.objects.count() >= 5
    assert Place.objects.filter(name="衡水湖").exists()
    assert Place.objects.count() >= 35


def test_it_has_about_150_units_each_at_a_post_with_a_crew():
    units = Unit.objects.annotate(crew=Count("members"))
    assert 140 <= units.count() <= 170
    assert set(units.values_list("kind", flat=True)) == set(UnitKind.values)
    assert units.filter(kind=UnitKind.FOOT).count() == 32
    for unit in units:
        assert unit.home_post_id is not None
        assert 1 <= unit.crew <= 2
    badges = Officer.objects.exclude(badge_number=None).values_list("badge_number", flat=True)
    assert all(re.fullmatch(r"\d{6}", b) for b in badges)


def test_officers_without_a_login_cannot_log_in():
    login_names = [spec.username for spec in LOGINS]
    crews = Officer.objects.exclude(username__in=login_names)
    assert crews.exists()
    assert not any(o.has_usable_password() for o in crews[:50])


def test_every_grid_cell_belongs_to_a_station():
    cells = GridCell.objects.all()
    # 衡水's real county outlines cover 8,815 km²; a res-8 H3 cell here is about 0.52 km².
    assert 16_000 <= cells.count() <= 17_500
    assert not cells.exclude(jurisdiction__kind=Organization.Kind.STATION).exists()
    assert set(cells.values_list("area_type", flat=True)) == set(AreaType.values)


def test_every_station_and_its_cells_lie_in_its_own_county():
    """The demo's jurisdictions follow the real county lines: no station polices across one."""
    import json

    from shapely.geometry import Point, shape

    from anmin.demo.builder import SHIPPED_COUNTIES

    outlines = {
        str(f["properties"]["code"]): shape(f["geometry"]).buffer(0.003)  # ~300 m for the simplified line
        for f in json.loads(SHIPPED_COUNTIES.read_text(encoding="utf-8"))["features"]
    }
    assert len(outlines) == 11
    strays = [
        (c.h3, c.jurisdiction.name)
        for c in GridCell.objects.select_related("jurisdiction")
        if not outlines[c.jurisdiction.division_code].contains(Point(c.lon, c.lat))
    ]
    assert strays == []


def test_the_taocheng_centre_is_urban_and_policed_by_a_taocheng_station():
    cell = GridCell.locate(37.735, 115.675)
    assert cell is not None
    assert cell.area_type == AreaType.URBAN
    assert cell.jurisdiction.kind == Organization.Kind.STATION
    assert cell.jurisdiction.parent.code == "131102000000"


def test_the_jing_county_seat_is_policed_by_a_jing_county_station():
    cell = GridCell.locate(37.692, 116.270)
    assert cell is not None
    assert cell.jurisdiction.kind == Organization.Kind.STATION
    assert cell.jurisdiction.parent.division_code == "131127"


def test_incidents_follow_their_cell():
    targets = {t.area_type: t.minutes for t in ArrivalTarget.objects.all()}
    incidents = Incident.objects.select_related("grid_cell")
    assert 900 <= incidents.count() <= 1300  # ~550 a day
    for incident in incidents:
        assert incident.station_id == incident.grid_cell.jurisdiction_id
        assert incident.area_type == incident.grid_cell.area_type
        assert incident.target_minutes == targets[incident.area_type]
        assert incident.arrival_due_at == incident.received_at + timedelta(minutes=incident.target_minutes)


def test_closed_incidents_have_a_complete_timeline_in_order():
    events = defaultdict(list)
    for incident_id, kind, at in IncidentEvent.objects.order_by("at", "id").values_list("incident_id", "kind", "at"):
        events[incident_id].append((kind, at))
    closed = Incident.objects.filter(status=Incident.Status.REPORTED).prefetch_related("assignments")
    assert closed.count() > 800
    for incident in closed:
        first = {}
        for kind, at in events[incident.pk]:
            first.setdefault(kind, at)
        times = [first.get(kind) for kind in TIMELINE]
        assert None not in times, incident.number
        assert times == sorted(times), incident.number
        assert times[0] == incident.received_at
        assert (
            incident.received_at
            <= incident.dispatched_at
            <= incident.arrived_at
            <= incident.resolved_at
            <= incident.closed_at
        )
        assignments = list(incident.assignments.all())
        assert assignments, incident.number
        for a in assignments:
            assert a.closed_at is not None and a.result in FeedbackResult.values
            assert a.dispatched_at <= a.arrived_at <= a.resolved_at <= a.closed_at


def test_late_arrivals_are_the_exception():
    closed = Incident.objects.filter(status=Incident.Status.REPORTED)
    late = sum(1 for i in closed if not i.within_target())
    assert 0.03 <= late / closed.count() <= 0.2


def test_only_recent_incidents_are_still_open():
    still_open = Incident.objects.open()
    assert not still_open.filter(received_at__lt=timezone.now() - timedelta(hours=3)).exists()


def test_no_unit_is_left_on_a_closed_incident():
    for a in Assignment.objects.active().select_related("incident", "unit"):
        assert a.incident.is_open
        assert a.unit.current_incident_id == a.incident_id
        assert a.unit.status in (UnitStatus.DISPATCHED, UnitStatus.ON_SCENE, UnitStatus.HANDLING)
    busy = Unit.objects.exclude(status=UnitStatus.AVAILABLE)
    assert busy.count() == Assignment.objects.active().count()
    assert not Unit.objects.filter(status=UnitStatus.AVAILABLE, current_incident__isnull=False).exists()


def test_incident_numbers_run_per_day_and_the_sequence_continues_them():
    per_day = defaultdict(list)
    for number in Incident.objects.order_by("received_at", "id").values_list("number", flat=True):
        bureau, day, serial = number.split("-")
        assert bureau == "131100"
        per_day[day].append(int(serial))
    sequences = {f"{s.day:%Y%m%d}": s.last for s in DailySequence.objects.filter(bureau_code="131100")}
    assert set(sequences) == set(per_day)
    for day, serials in per_day.items():
        assert serials == list(range(1, len(serials) + 1))
        assert sequences[day] == len(serials)


def test_every_role_has_a_login_that_authenticates():
    logins = demo_logins()
    assert {row["username"] for row in logins} == {spec.username for spec in LOGINS}
    roles = set(Officer.objects.filter(username__in=[r["username"] for r in logins]).values_list("role", flat=True))
    assert roles == set(Role.values)
    for row in logins:
        assert row["password"] == DEMO_PASSWORD
        assert authenticate(username=row["username"], password=DEMO_PASSWORD) is not None, row["username"]
    # By 警号 as well: that is how officers log in.
    assert authenticate(username=logins[0]["badge_number"], password=DEMO_PASSWORD) is not None
    assert authenticate(username="dispatcher", password="wrong") is None


def test_the_logins_sit_where_the_demo_needs_them():
    officers = {o.username: o for o in Officer.objects.filter(username__in=[s.username for s in LOGINS])}
    # No superuser: each administrator's rights follow his role (三权分立).
    assert not any(o.is_superuser for o in officers.values())
    assert officers["admin"].is_staff and officers["secadmin"].is_staff and not officers["auditor"].is_staff
    assert (officers["secadmin"].role, officers["auditor"].role) == ("secadmin", "auditor")
    assert officers["dispatcher"].organization.kind == Organization.Kind.COMMAND
    assert officers["station"].organization.parent.division_code == "131102"
    assert officers["jizhou"].organization.parent.division_code == "131103"
    patrol_car = Unit.objects.filter(kind=UnitKind.PATROL_CAR).order_by("id").first()
    assert officers["patrol"] in patrol_car.members.all()
    traffic_unit = Unit.objects.filter(kind=UnitKind.TRAFFIC).order_by("id").first()
    assert officers["traffic"] in traffic_unit.members.all()


def test_it_returns_the_same_logins_it_stores(demo_city):
    assert demo_city == demo_logins()


def test_it_refuses_a_database_that_is_not_empty():
    with pytest.raises(DemoCityExists):
        build_demo_city(days=1)
    assert Organization.objects.filter(parent__isnull=True).count() == 1


def test_the_demo_command_prints_the_logins_of_a_built_city_without_building_again():
    out = io.StringIO()
    before = Organization.objects.count()
    call_command("demo", "--no-serve", "--no-archive", "--port", "8123", stdout=out)
    text = out.getvalue()
    assert Organization.objects.count() == before
    for spec in LOGINS:
        assert spec.username in text
    assert DEMO_PASSWORD in text
    assert "http://127.0.0.1:8123/" in text
    assert "http://127.0.0.1:8123/admin/" in text


def test_it_opens_demo_cases_with_valid_persons_and_pending_approvals():
    from anmin.cases.models import ApprovalRequest, Case, CasePerson
    from anmin.core.idnumber import clean_id_number

    cases = list(Case.objects.prefetch_related("events"))
    assert cases, "the demo has cases"
    for case in cases:
        assert case.incident_id is not None
        times = [e.at for e in case.events.all()]
        assert times == sorted(times)
        assert case.events.all()[0].label == "受案"
    for person in CasePerson.objects.all():
        assert clean_id_number(person.id_number) == person.id_number
    leader = Officer.objects.get(username="leader")
    inbox = ApprovalRequest.objects.inbox_of(leader)
    assert inbox.exists() == ApprovalRequest.objects.filter(status="pending").exists()


def test_the_archive_feeds_the_statistics_but_not_the_inspection():
    from datetime import timedelta

    from django.utils import timezone

    from anmin.cases.models import Case
    from anmin.demo.builder import build_archive
    from anmin.incidents.models import Incident
    from anmin.org.models import Officer
    from anmin.stats import report, rollups
    from anmin.supervision.inspection import incidents_without_case

    now = timezone.now()
    leader = Officer.objects.get(username="leader")
    before = incidents_without_case(leader, now).count()
    until = now - timedelta(days=2)
    since = timezone.localdate(until) - timedelta(days=20)
    written = build_archive(until=until, since=since)
    assert written > 20 * 400  # about 550 a day
    assert Incident.objects.filter(imported=True).count() == written
    assert Case.objects.filter(incident__imported=True, filed_at__isnull=False).exists()
    assert rollups.verify() == []
    query = report.parse_query({"metric": "incidents", "period": f"{since}..{since + timedelta(days=9)}"}, leader)
    result = report.run(query, leader)
    assert result.total.value == report.records(query, leader).count() > 0
    assert incidents_without_case(leader, now).count() == before  # handled in the old system


def test_the_demo_portal_has_departments_offices_slots_and_exam_sessions():
    import importlib

    from django.apps import apps as django_apps

    from anmin.bookings.models import ExamSession, Office, Slot
    from anmin.demo.portal import build_demo_portal
    from anmin.services.models import ServiceItem

    if not ServiceItem.objects.exists():  # a transactional test before this one flushed the seed
        importlib.import_module("anmin.services.migrations.0002_seed_catalogue").load(django_apps, None)
    assert "考试场次" in build_demo_portal()
    assert Office.objects.count() == 2
    assert Slot.objects.count() >= 2 * 9 * 16  # two weeks of working days, 09:00–17:00 every 30 minutes
    assert ExamSession.objects.filter(status="open").count() == 4
    assert not ServiceItem.objects.filter(department__isnull=True).exists()
