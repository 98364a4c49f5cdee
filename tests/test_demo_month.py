"""The demo looks like a month of real work: its clocks are mostly green, some yellow, a few red and
never years late; its incidents and cases carry street and village addresses, never a grid id; its
派出所 are named after real 乡镇/街道 of 衡水."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from anmin.cases.models import Case
from anmin.demo.addressing import county_name, divisions, town_name
from anmin.demo.builder import build_demo_city
from anmin.demo.cases import MAX_OVERDUE, build_demo_cases, start_demo_clocks
from anmin.demo.data import BRANCHES
from anmin.incidents.models import Incident
from anmin.org.models import Organization
from anmin.supervision.models import Clock, ClockState
from tests.conftest import ensure_code_tables

H3_CELL = re.compile(r"(?<![0-9a-f])8[0-9a-f]{14}(?![0-9a-f])")
#: What the old archive wrote: "河西派出所辖区 网格cdff".
GRID_WORDS = re.compile(r"网格|辖区\s|[0-9a-f]{4}(?![0-9a-f号])")


@pytest.fixture(scope="module")
def demo_month(django_db_setup, django_db_blocker):
    """The demo at its test size (two days of history, as tests/test_demo.py builds it), its cases
    and their clocks as of the build; rolled back afterwards."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        try:
            ensure_code_tables()
            build_demo_city(days=2)
            now = timezone.now()
            build_demo_cases(now=now)
            start_demo_clocks(now)
            yield now
        finally:
            transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_month")]


def test_most_clocks_are_green_some_yellow_a_few_red():
    states = Counter(Clock.objects.running().values_list("state", flat=True))
    total = sum(states.values())
    assert total >= 30, states
    green, yellow, red = states[ClockState.NORMAL], states[ClockState.DUE_SOON], states[ClockState.OVERDUE]
    assert green > total / 2, states
    assert 2 <= yellow <= total / 4, states
    assert 1 <= red <= total / 8, states
    assert red < yellow < green


def test_no_clock_is_overdue_by_more_than_days(demo_month):
    overdue = Clock.objects.running().filter(state=ClockState.OVERDUE)
    assert overdue.exists()
    for clock in overdue:
        late = demo_month - clock.due_at
        assert timedelta(0) < late <= MAX_OVERDUE <= timedelta(days=30), (clock.rule.code, late)
    assert not Clock.objects.running().filter(due_at__lt=demo_month - timedelta(days=30)).exists()


def test_cases_come_from_the_detailed_history_and_follow_their_incident():
    cases = list(Case.objects.select_related("incident"))
    assert len(cases) >= 40
    for case in cases:
        assert not case.incident.imported
        assert case.incident.closed_at <= case.accepted_at <= case.incident.closed_at + timedelta(hours=12)
        assert case.accepted_at <= case.status_since


def test_no_incident_address_or_case_title_carries_a_grid_id():
    for address in Incident.objects.values_list("address", flat=True):
        assert not H3_CELL.search(address), address
        assert not GRID_WORDS.search(address), address
    for title, address in Case.objects.values_list("title", "incident__address"):
        assert not H3_CELL.search(title) and not GRID_WORDS.search(title), title
        assert title.endswith("案") and title.startswith(re.sub(r"\d+号$", "", address)), (title, address)


def _specs():
    return {f"{spec.name}派出所": (branch, spec) for branch in BRANCHES for spec in branch.stations}


def test_addresses_are_streets_in_town_and_villages_in_the_countryside():
    landmark = re.compile(r".+(门口|北门|东侧|停车场|附近|广场)$")
    specs = _specs()
    seen = Counter()
    for address, area, station in Incident.objects.values_list("address", "area_type", "station__name"):
        if landmark.fullmatch(address) and not address.endswith("号"):
            seen["landmark"] += 1
            continue
        branch, spec = specs[station]
        if area == "rural":
            county, town = county_name(spec), town_name(spec)
            match = re.fullmatch(rf"{county}{town}(\S+?(?:村|社区))(\d+)号", address)
            assert match, address
            assert match.group(1) in divisions().villages[spec.town], address  # a real village of that 乡镇
            seen["village"] += 1
        elif branch.division == "131102":
            assert re.fullmatch(r"桃城区\S+?(路|街|大街|道)\d+号", address), address
            seen["street"] += 1
        else:
            assert re.fullmatch(rf"{branch.region}{town_name(spec)}\S+?(路|街|大道)\d+号", address), address
            seen["street"] += 1
    assert seen["village"] > 50 and seen["street"] > 300 and seen["landmark"], seen


def test_stations_are_named_after_real_towns_of_their_county():
    names = divisions().names
    for branch in BRANCHES:
        for spec in branch.stations:
            town = names[spec.town]  # a 乡镇/街道 code of the divisions file
            assert len(spec.town) == 9
            # 桃城分局 also polices the two functional areas cut out of 桃城区 (高新区 131171, 滨湖新区 131172).
            counties = {branch.division} | ({"131171", "131172"} if branch.division == "131102" else set())
            assert spec.town[:6] in counties, (spec.name, town)
            short = re.sub(r"(街道|镇|乡)$", "", town)
            assert spec.name in (town, short) or (town.endswith("开发区") and town.startswith(spec.name)), (
                spec.name,
                town,
            )
    stations = set(Organization.objects.filter(kind=Organization.Kind.STATION).values_list("name", flat=True))
    assert {"王同岳派出所", "中华大街派出所", "彭杜村派出所", "河西派出所", "冀州镇派出所"} <= stations
    assert not stations & {"王同岗派出所", "滨湖派出所", "彭杜派出所"}
    assert stations == set(_specs())
