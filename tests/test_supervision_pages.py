"""The supervision lists page and filter by unit: 受案立案审查巡查 (both of its lists), the board's
drill-down and the reminders. A bad page or unit is a 400 naming the field, and no page shows an
internal id (a database key or an H3 cell index) in its text."""

import itertools
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.utils import timezone

from anmin.cases.actions import OpenCase
from anmin.cases.models import Case
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident
from anmin.org.models import Role
from anmin.supervision.scan import scan
from anmin.supervision.views import INSPECTION_PAGE_SIZE
from tests.conftest import B1_POINT
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

#: Ids far from any count, date or page number a page shows, so finding one in the text means an id.
FIRST_ID = 7_340_001
_serials = itertools.count(900000)
H3_CELL = re.compile(r"(?<![0-9a-f])8[0-9a-f]{14}(?![0-9a-f])")


class _Text(HTMLParser):
    """What a user reads on a page: text outside scripts and styles, and the attributes that browsers
    show (titles, placeholders, labels, alt texts, the values of visible fields)."""

    SHOWN = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self.hidden += 1
        self.parts += [values[name] or "" for name in self.SHOWN if name in values]
        if tag in ("input", "button") and values.get("type") != "hidden" and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def assert_no_internal_ids(html: str, ids) -> None:
    text = shown_text(html)
    for pk in ids:
        assert not re.search(rf"(?<!\d){pk}(?!\d)", text), f"id {pk} is shown"
    assert not H3_CELL.search(text), H3_CELL.search(text).group(0)
    assert not re.search(r"网格[0-9a-f]{3,}", text)


def start_ids_at(model, first: int) -> None:
    """Make the next rows of `model` take ids from `first` on (ids no test value could be mistaken for)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, first])
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first - 1])


@pytest.fixture
def legal(city):
    """The bureau's 法制 supervisor: sees both branches."""
    return OfficerFactory(username="legal", organization=city.bureau, role=Role.LEGAL, full_name="钱法制")


def reported_incidents(city, call_data, n: int, *, point=None, days_ago: int = 20) -> list[Incident]:
    """`n` criminal incidents reported `days_ago` with no case: one through the intake, the rest copies."""
    data = dict(call_data, category="0110")
    if point:
        data.update(lat=point[0], lon=point[1])
    first, _ = ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()
    closed = timezone.now() - timedelta(days=days_ago)
    Incident.objects.filter(pk=first.pk).update(status=Incident.Status.REPORTED, closed_at=closed)
    first.refresh_from_db()
    copies = []
    for i in range(1, n):
        copy = Incident.objects.get(pk=first.pk)
        copy.pk = None
        copy.number = f"{first.number[:-6]}{next(_serials):06d}"
        copy.received_at = first.received_at + timedelta(minutes=i)
        copies.append(copy)
    Incident.objects.bulk_create(copies)
    return [first, *Incident.objects.filter(number__in=[c.number for c in copies])]


def idle(city, n: int, *, officer=None) -> list[Case]:
    officer = officer or city.station_officer
    cases = [OpenCase(by=officer, kind="criminal", title=f"久拖案件{i}").execute() for i in range(n)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(status_since=timezone.now() - timedelta(days=60))
    return cases


def rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="((?:incident|case)-\d+)"', body)


# —— 受案立案审查巡查 ——


def test_the_inspection_lists_page_by_page_each_with_its_own_pager(city, call_data, legal):
    incidents = reported_incidents(city, call_data, INSPECTION_PAGE_SIZE + 7)
    cases = idle(city, 3)
    client = city.login(legal)
    html = client.get("/supervision/inspection/").content.decode()
    assert len(rows(html, "inspection-incidents")) == INSPECTION_PAGE_SIZE
    assert f'<span class="chip" id="incident-count">{len(incidents)}</span>' in html
    assert 'id="incidents-pager"' in html and 'id="cases-pager"' not in html
    assert "第 1 / 2 页，共 57 条" in shown_text(html)
    assert len(rows(html, "inspection-cases")) == len(cases)

    second = client.get("/supervision/inspection/", {"incident_page": 2}).content.decode()
    shown = rows(second, "inspection-incidents")
    assert len(shown) == 7
    first_page = set(rows(html, "inspection-incidents"))
    assert not first_page & set(shown)
    assert first_page | set(shown) == {f"incident-{i.pk}" for i in incidents}
    assert re.search(r'<a href="([^"]*)" rel="prev"', second).group(1) == "/supervision/inspection/"
    assert re.search(r'<a href="([^"]*)" rel="next"', html).group(1) == "/supervision/inspection/?incident_page=2"
    # The other list keeps its own page: the cases are still there on the incidents' page 2.
    assert len(rows(second, "inspection-cases")) == len(cases)
    # Past the end: the last page, as every list of the site does.
    assert rows(client.get("/supervision/inspection/", {"incident_page": 99}).content.decode(), "inspection-incidents")


def test_the_inspection_page_narrows_to_one_unit_by_its_code(city, call_data, legal):
    here = reported_incidents(city, call_data, 2)
    there = reported_incidents(city, call_data, 3, point=B1_POINT)
    outsider_cases = idle(city, 2, officer=city.outsider)
    own_cases = idle(city, 1)
    client = city.login(legal)

    everything = client.get("/supervision/inspection/").content.decode()
    assert len(rows(everything, "inspection-incidents")) == 5
    assert f'<option value="{city.station_b1.code}">' in everything  # the filter offers the units by code

    jizhou = client.get("/supervision/inspection/", {"org": city.branch_b.code}).content.decode()
    assert set(rows(jizhou, "inspection-incidents")) == {f"incident-{i.pk}" for i in there}
    assert set(rows(jizhou, "inspection-cases")) == {f"case-{c.pk}" for c in outsider_cases}
    assert f'<option value="{city.branch_b.code}" selected>' in jizhou

    hexi = client.get("/supervision/inspection/", {"org": city.station_a1.code}).content.decode()
    assert set(rows(hexi, "inspection-incidents")) == {f"incident-{i.pk}" for i in here}
    assert set(rows(hexi, "inspection-cases")) == {f"case-{c.pk}" for c in own_cases}


def test_a_dismissal_comes_back_to_the_same_unit_and_page(city, call_data, legal):
    incidents = reported_incidents(city, call_data, INSPECTION_PAGE_SIZE + 2)
    client = city.login(legal)
    query = {"org": city.branch_a.code, "incident_page": 2}
    page = client.get("/supervision/inspection/", query).content.decode()
    target = rows(page, "inspection-incidents")[0]
    table = page.split('id="inspection-incidents"', 1)[1]
    action = re.search(r'<form method="post" action="([^"]+)"', table).group(1).replace("&amp;", "&")
    assert action == f"/supervision/inspection/?org={city.branch_a.code}&incident_page=2"
    response = client.post(action, {"kind": "incident", "item": target.split("-")[1], "reason": "已移交刑侦大队"})
    assert response.status_code == 302
    assert response["Location"] == action
    after = client.get(action).content.decode()
    assert target not in rows(after, "inspection-incidents")
    assert len(rows(after, "inspection-incidents")) == len(incidents) - 1 - INSPECTION_PAGE_SIZE


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"incident_page": "x"}, "incident_page"),
        ({"incident_page": "0"}, "incident_page"),
        ({"case_page": str(2**70)}, "case_page"),
        ({"case_page": "-1"}, "case_page"),
        ({"org": "abc"}, "org"),
        ({"org": "13110"}, "org"),
        ({"org": str(2**70)}, "org"),
        ({"org": "999999999999"}, "org"),  # a code that is nobody's
    ],
)
def test_a_bad_page_or_unit_is_refused_naming_the_field(city, legal, query, field):
    response = city.login(legal).get("/supervision/inspection/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-field="{field}"' in html
    label = {"incident_page": "有警无案页码", "case_page": "久未流转页码", "org": "单位"}[field]
    assert f"{label}：" in shown_text(html)
    assert 'id="inspection-incidents"' not in html


def test_a_unit_outside_ones_own_is_refused_like_an_unknown_one(city, call_data):
    legal_b = OfficerFactory(username="legal_b", organization=city.branch_b, role=Role.LEGAL)
    reported_incidents(city, call_data, 1)
    response = city.login(legal_b).get("/supervision/inspection/", {"org": city.station_a1.code})
    assert response.status_code == 400
    assert "单位：不存在或不在本单位管辖范围" in shown_text(response.content.decode())
    own = city.login(legal_b).get("/supervision/inspection/").content.decode()
    assert city.station_a1.code not in own  # not offered either


def test_the_inspection_page_shows_no_internal_id(city, call_data, legal):
    start_ids_at(Incident, FIRST_ID)
    start_ids_at(Case, FIRST_ID + 50_000)
    incidents = reported_incidents(city, call_data, 4)
    cases = idle(city, 3)
    html = city.login(legal).get("/supervision/inspection/", {"org": city.branch_a.code}).content.decode()
    assert incidents[0].number in html and cases[0].number in html
    assert f'id="incident-{incidents[0].pk}"' in html  # the ids are there, in the markup only
    assert_no_internal_ids(html, [i.pk for i in incidents] + [c.pk for c in cases])
    orgs = [city.bureau, city.branch_a, city.station_a1, city.station_a2]
    assert not any(f"org={o.pk}&" in html or f'value="{o.pk}"' in html for o in orgs)


# —— the board's drill-down and the reminders ——


def overdue_clocks(city, n: int, officer=None) -> list[Case]:
    cases = [
        OpenCase(by=officer or city.station_officer, kind="criminal", title=f"盗窃案{i}").execute() for i in range(n)
    ]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(accepted_at=timezone.now() - timedelta(days=10))
    from anmin.supervision.models import Clock

    for case in cases:
        clock = Clock.objects.get(case=case)
        Clock.objects.filter(pk=clock.pk).update(
            started_at=timezone.now() - timedelta(days=10),
            due_at=timezone.now() - timedelta(days=7),
            warn_at=timezone.now() - timedelta(days=7, hours=14),
        )
    scan(timezone.now())
    return cases


def test_the_drill_down_links_and_filters_by_unit_code(city, legal, monkeypatch):
    overdue_clocks(city, 3)
    overdue_clocks(city, 1, officer=city.outsider)
    client = city.login(legal)
    board = client.get("/supervision/").content.decode()
    assert f"?org={city.station_a1.code}&amp;state=overdue" in board
    assert f"?org={city.station_a1.pk}&" not in board

    html = client.get("/supervision/clocks/", {"org": city.branch_a.code, "state": "overdue"}).content.decode()
    assert html.count('class="clock-row"') == 3
    assert f'<option value="{city.branch_a.code}" selected>' in html
    jizhou = client.get("/supervision/clocks/", {"org": city.station_b1.code, "state": "overdue"}).content.decode()
    assert jizhou.count('class="clock-row"') == 1

    monkeypatch.setattr("anmin.supervision.views.PAGE_SIZE", 2)
    first = client.get("/supervision/clocks/", {"org": city.branch_a.code, "state": "overdue"}).content.decode()
    assert first.count('class="clock-row"') == 2
    link = re.search(r'href="\?([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert link == f"org={city.branch_a.code}&state=overdue&page=2"
    second = client.get(f"/supervision/clocks/?{link}").content.decode()
    assert second.count('class="clock-row"') == 1


def test_the_drill_down_refuses_a_bad_unit_naming_it(city, legal):
    for bad in ("abc", "-5", "1.5", str(2**70), "13110000000x"):
        response = city.login(legal).get("/supervision/clocks/", {"org": bad, "state": "overdue"})
        assert response.status_code == 400
        assert 'data-field="org"' in response.content.decode()
    unknown = city.login(legal).get("/supervision/clocks/", {"org": "999999999999", "state": "overdue"})
    assert unknown.status_code == 404


def test_the_drill_down_and_the_reminders_show_no_internal_id(city, legal):
    start_ids_at(Case, FIRST_ID)
    cases = overdue_clocks(city, 2)
    from anmin.supervision.models import Clock, ClockNotice

    assert Clock.objects.filter(case__in=cases, state="overdue").count() == 2
    html = city.login(legal).get("/supervision/clocks/", {"org": city.bureau.code, "state": "overdue"}).content.decode()
    assert cases[0].number in html
    assert_no_internal_ids(html, [c.pk for c in cases])
    notices = city.login(city.station_officer).get("/notices/").content.decode()
    assert ClockNotice.objects.filter(recipient=city.station_officer).exists()
    assert cases[0].number in notices
    assert_no_internal_ids(notices, [c.pk for c in cases])
    board = city.login(legal).get("/supervision/").content.decode()
    assert_no_internal_ids(board, [c.pk for c in cases])
