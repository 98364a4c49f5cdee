"""Each role lands on the screen it works in (the brand link and 工作台 lead there too), and the menu
shows how many matters wait behind 审批, 回访 and 政务服务: right, within the officer's scope, and
one count query per entry the menu shows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anmin.cases.actions import ChangeCaseStatus, OpenCase
from anmin.demo.data import LOGINS
from anmin.menu import Menu
from anmin.org.models import Role
from anmin.services.models import ServiceItem
from tests.factories import OfficerFactory
from tests.test_feedback import survey
from tests.test_services import load_catalogue, submit


def board_of(station) -> str:
    return reverse("dispatch:board") + f"?station={station.code}"


#: Where each demo login lands (by username), given the city below.
LANDINGS = {
    "admin": lambda city: reverse("dispatch:board"),
    "dispatcher": lambda city: reverse("dispatch:board"),
    "leader": lambda city: reverse("stats:dashboard"),
    "legal": lambda city: reverse("supervision:dashboard"),
    "stats": lambda city: reverse("stats:builder"),
    "station": lambda city: board_of(city.station_a1),
    "patrol": lambda city: reverse("dispatch:phone"),
    "traffic": lambda city: reverse("dispatch:phone"),
    "jizhou": lambda city: board_of(city.station_b1),
    "secadmin": lambda city: reverse("admin:index"),
    "auditor": lambda city: reverse("audit:trail"),
}


@pytest.fixture
def demo_roles(city):
    """An officer for every demo login (anmin.demo.data.LOGINS), placed as the demo places them;
    the city's own dispatcher, leader, station officer and patrol officer are those logins already."""
    orgs = {
        "bureau": city.bureau,
        "command": city.command,
        "station:河西": city.station_a1,
        "patrol": city.station_a1,
        "traffic:131102": city.traffic,
        "station:冀州镇": city.station_b1,
        "": None,
    }
    existing = {o.username: o for o in (city.dispatcher, city.leader, city.station_officer, city.patrol_officer)}
    officers = {}
    for spec in LOGINS:
        officer = existing.get(spec.username)
        if officer is None:
            officer = OfficerFactory(
                username=spec.username, role=spec.role, organization=orgs[spec.org], is_staff=spec.staff
            )
        assert officer.role == spec.role, spec.username
        officers[spec.username] = officer
    city.traffic_rider.members.add(officers["traffic"])
    return officers


def test_every_demo_login_has_its_landing():
    assert {spec.username for spec in LOGINS} == set(LANDINGS)


@pytest.mark.parametrize("username", sorted(LANDINGS))
def test_each_role_lands_where_its_work_is_and_may_open_it(city, demo_roles, username):
    client = city.login(demo_roles[username])
    response = client.get(reverse("org:home"))
    assert response.status_code == 302
    assert response["Location"] == LANDINGS[username](city)
    assert client.get(response["Location"]).status_code == 200


def test_a_crew_role_without_a_unit_lands_on_a_page_it_may_open(city):
    patrol = OfficerFactory(username="walker", role=Role.PATROL, organization=city.station_a1)
    client = city.login(patrol)
    target = client.get(reverse("org:home"))["Location"]
    assert target == reverse("cases:list")
    assert client.get(target).status_code == 200


def test_the_brand_and_the_home_entry_lead_to_the_landing(city, demo_roles):
    page = city.login(demo_roles["leader"]).get(reverse("cases:list")).content.decode()
    dashboard = reverse("stats:dashboard")
    assert f'<a class="brand" href="{dashboard}">' in page
    assert f'<a href="{dashboard}" id="nav-home">工作台</a>' in page


# --- pending counts ------------------------------------------------------------------------------


def ask_to_file(officer, title="王某盗窃电动车案"):
    """A 立案 request: waits in the inbox of the leaders above the officer's unit."""
    case = OpenCase(by=officer, kind="criminal", title=title).execute()
    return ChangeCaseStatus(case=case, action="file", reason="有犯罪事实需要追究刑事责任", by=officer).execute()[1]


def count(page: str, entry: str) -> int | None:
    """The badge on a menu entry, or None without one."""
    found = re.search(rf'id="count-{entry}"[^>]*>(\d+)<', page)
    return int(found[1]) if found else None


@pytest.fixture
def waiting(city, citizen):
    """Matters waiting in two stations: 立案 requests, surveys due for a callback, open 办件."""
    ask_to_file(city.station_officer, "案一")
    ask_to_file(city.station_officer, "案二")
    ask_to_file(city.outsider, "案三")
    survey(city.station_a1, opened="2025-01-02 10:00")
    survey(city.station_a1, opened="2025-01-03 10:00")
    survey(city.station_a1)  # opened just now: not due for a callback yet
    survey(city.station_b1, opened="2025-01-02 10:00")
    load_catalogue()
    item = ServiceItem.objects.get(code="ZA-WFZ-ZM")  # 无犯罪记录证明, handled by station A1 here
    item.department = city.station_a1
    item.save()
    submit(citizen, item)
    submit(citizen, item)


def test_the_menu_counts_what_waits_in_the_officers_scope(city, waiting):
    branch_b_leader = OfficerFactory(username="jizhou_leader", organization=city.branch_b, role=Role.LEADER)
    leader = city.login(city.leader).get(reverse("cases:list")).content.decode()
    assert (count(leader, "approvals"), count(leader, "callbacks"), count(leader, "services")) == (3, 3, 2)
    other = city.login(branch_b_leader).get(reverse("cases:list")).content.decode()
    assert (count(other, "approvals"), count(other, "callbacks"), count(other, "services")) == (1, 1, None)
    station = city.login(city.station_officer).get(reverse("cases:list")).content.decode()
    # No 审批 for a station officer, whose requests these are: the entry is not in his menu at all.
    assert 'id="nav-approvals"' not in station
    assert (count(station, "callbacks"), count(station, "services")) == (2, 2)


def test_a_leader_does_not_count_his_own_request(city):
    ask_to_file(city.leader)
    page = city.login(city.leader).get(reverse("cases:list")).content.decode()
    assert 'id="nav-approvals"' in page and count(page, "approvals") is None


def test_each_count_is_one_query_and_only_for_entries_shown(city, demo_roles, waiting):
    for username, shown in (("leader", 3), ("station", 2), ("auditor", 0), ("secadmin", 0)):
        menu = Menu(demo_roles[username])
        with CaptureQueriesContext(connection) as queries:
            figures = (menu.approvals, menu.callbacks, menu.services)
            again = (menu.approvals, menu.callbacks, menu.services)
        assert figures == again
        assert len(queries) == shown, (username, [q["sql"] for q in queries])


def test_the_page_costs_the_same_however_much_waits(city, waiting):
    client = city.login(city.leader)
    url = reverse("cases:list")
    client.get(url)  # the session's first page records its activity (see test_query_counts)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        ask_to_file(city.station_officer, f"追加案 {n}")
        survey(city.station_a1, opened="2025-01-05 10:00")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert count(page, "approvals") == 13 and count(page, "callbacks") == 13
    assert len(many) == len(few)
