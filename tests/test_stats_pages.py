"""Statistics pages: the report builder, the drill-down behind every figure (its count equals the
figure, 零差错), the exports' error handling, the dashboard's JSON, and scoping by station."""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from anmin.cases.actions import OpenCase
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Category, Incident
from tests.conftest import A1_POINT, B1_POINT

TZ = ZoneInfo("Asia/Shanghai")
A2_POINT = (37.76, 115.70)
FIGURE_LINK = re.compile(r'<a class="fig[^"]*" href="([^"]+)"[^>]*>([^<]*)</a>')


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def call(city, when: str, point=A1_POINT, category="0601", *, arrive_after=None, cancel=False) -> Incident:
    data = {
        "category": category,
        "lat": point[0],
        "lon": point[1],
        "address": "测试路 1 号",
        "caller_phone": "13812345678",
        "description": "测试警情",
        "priority": 2,
    }
    incident = ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=at(when)).execute()[0]
    if arrive_after is not None:
        incident.arrived_at = incident.received_at + timedelta(minutes=arrive_after)
        incident.status = Incident.Status.ARRIVED
        incident.save()
    if cancel:
        incident.status = Incident.Status.CANCELLED
        incident.save()
    return incident


@pytest.fixture
def history(city):
    """March 2026 and March 2025 in all three stations, with arrivals, a cancellation and cases."""
    call(city, "2026-03-02 09:00", category="0111", arrive_after=3)
    call(city, "2026-03-05 22:10", category="0111", arrive_after=40)
    call(city, "2026-03-09 08:00", category="0106", arrive_after=4)
    call(city, "2026-03-10 10:00", category="0601")
    call(city, "2026-03-11 10:00", category="0601", cancel=True)  # not a valid incident: counted nowhere
    call(city, "2026-03-12 11:00", A2_POINT, category="0201", arrive_after=8)
    call(city, "2026-03-31 23:30", A2_POINT, category="0114")
    call(city, "2026-03-15 12:00", B1_POINT, category="0111", arrive_after=9)
    call(city, "2025-03-03 09:00", category="0111", arrive_after=5)
    call(city, "2025-03-20 09:00", B1_POINT, category="0601")
    call(city, "2025-03-21 09:00", B1_POINT, category="0114")
    theft = Category.objects.get(code="0111")
    for when, solved in (("2026-03-03 10:00", "2026-03-20 10:00"), ("2026-03-06 10:00", None)):
        case = OpenCase(
            by=city.station_officer, kind="criminal", title="入室盗窃案", category=theft, at=at(when)
        ).execute()
        case.filed_at = at(when) + timedelta(days=1)
        case.solved_at = at(solved) if solved else None
        case.save()
    OpenCase(by=city.outsider, kind="administrative", title="殴打他人案", at=at("2026-03-16 10:00")).execute()
    return city


def figure_links(html: str) -> list[tuple[str, int]]:
    """(href, number shown) for every linked figure of a report page."""
    out = []
    for href, text in FIGURE_LINK.findall(html):
        number = re.findall(r"-?\d+", text)
        out.append((unescape(href), int(number[-1])))
    return out


def assert_every_figure_matches_its_records(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    links = figure_links(response.content.decode())
    assert links, "the report has no linked figures"
    for href, shown in links:
        drill = client.get(href)
        assert drill.status_code == 200, (href, drill.content.decode()[:500])
        assert drill.context["count"] == shown, (href, shown, drill.context["count"])
        assert drill.context["figure"] == shown, (href, shown, drill.context["figure"])
        assert b'id="drill-mismatch"' not in drill.content
    return len(links)


def test_the_builder_shows_the_figures_of_a_month_against_last_year(history):
    client = history.login(history.leader)
    response = client.get(reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "compare": "yoy"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026年3月" in html and "2025年3月" in html
    total = response.context["rep"].total
    assert (total.value, total.baseline) == (7, 3)
    assert report_change(response) == "同比上升 133.33%"
    assert 'id="stats-chart-data"' in html
    assert reverse("stats:export", args=["xlsx"]) in html and reverse("stats:export", args=["pdf"]) in html


def report_change(response) -> str:
    return response.context["lines"][0].change_text


def test_the_builder_opens_on_this_month_with_no_parameters(history):
    response = history.login(history.leader).get(reverse("stats:builder"))
    assert response.status_code == 200
    assert response.context["rep"].query.compare == "yoy"
    assert response.context["rep"].query.period.kind == "month"


def test_a_grouped_report_ranks_the_stations(history):
    client = history.login(history.leader)
    response = client.get(
        reverse("stats:builder"),
        {"metric": "incidents", "period": "2026-03", "compare": "yoy", "group_by": "station", "rank": "1"},
    )
    rows = [(line.row.label, line.row.value, line.row.rank) for line in response.context["lines"]]
    assert rows[:3] == [("河西派出所", 4, 1), ("河东派出所", 2, 2), ("冀州镇派出所", 1, 3)]
    assert rows[-1][0] == "合计" and rows[-1][1] == 7
    assert "rank=1" in response.context["query_string"]


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "incidents", "group_by": "station"},
        {"metric": "incidents", "group_by": "class"},
        {"metric": "incidents", "group_by": "category"},
        {"metric": "incidents", "group_by": "branch"},
        {"metric": "incidents", "group_by": "org"},
        {"metric": "incidents", "group_by": "grid"},
        {"metric": "incidents", "group_by": "station", "group": "property"},
        {"metric": "incidents", "group_by": "class", "org": "131102000000"},
        {"metric": "serious_violence", "group_by": "station"},
        {"metric": "arrived", "group_by": "station"},
        {"metric": "on_time_rate", "group_by": "station"},
        {"metric": "on_time_rate", "group_by": "class"},
        {"metric": "arrival_minutes", "group_by": "branch"},
        {"metric": "cases_accepted", "group_by": "org"},
        {"metric": "cases_filed", "group_by": "station"},
        {"metric": "cases_solved", "group_by": "category"},
        {"metric": "clearance_rate", "group_by": "station"},
        {"metric": "zero_incident_rate", "group_by": "station"},
        {"metric": "zero_incident_rate", "group_by": "branch"},
        {"metric": "zero_incident_rate", "group_by": "station", "class": "criminal"},
        {"metric": "serious_violence", "group_by": "class"},
        {"metric": "cases_accepted", "group_by": "station", "class": "criminal"},
        {"metric": "incidents", "compare": "pop", "group_by": "station", "period": "2026-03-01..2026-03-15"},
        {"metric": "incidents", "compare": "pop", "group_by": "category", "period": "2026-W11"},
    ],
    ids=lambda p: "-".join(str(v) for v in p.values()),
)
def test_every_figure_links_to_exactly_as_many_records(history, params):
    query = {"period": "2026-03", "compare": "yoy", **params}
    url = reverse("stats:builder") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    assert assert_every_figure_matches_its_records(history.login(history.leader), url) > 2


def a1_cell(city) -> str:
    return Incident.objects.filter(station=city.station_a1).first().grid_cell_id


@pytest.mark.parametrize(
    "params", ["metric=incidents", "metric=incidents&group_by=station", "metric=zero_incident_rate"]
)
def test_a_report_on_one_grid_cell_matches_its_records(history, params):
    url = reverse("stats:builder") + f"?{params}&period=2026-03&compare=yoy&grid={a1_cell(history)}"
    assert_every_figure_matches_its_records(history.login(history.leader), url)


def test_incidents_of_one_grid_cell_by_class_match_their_records(history):
    url = (
        reverse("stats:builder")
        + f"?metric=incidents&period=2026-03&compare=yoy&grid={a1_cell(history)}&group_by=class"
    )
    assert_every_figure_matches_its_records(history.login(history.leader), url)


def test_cases_without_a_category_match_their_records(history):
    url = reverse("stats:builder") + "?metric=cases_accepted&period=2026-03&compare=yoy&group_by=class"
    assert_every_figure_matches_its_records(history.login(history.leader), url)


@pytest.mark.parametrize("metric", ["arrived", "on_time_rate"])
def test_arrivals_by_grid_are_refused_naming_the_field(history, metric):
    # The grid rollups count incidents only: an arrival figure per cell would print 0.
    url = reverse("stats:builder") + f"?metric={metric}&period=2026-03&compare=yoy&group_by=grid"
    response = history.login(history.leader).get(url)
    assert response.status_code == 400
    assert "到场指标" in response.content.decode()


def test_the_zero_incident_total_by_class_matches_its_records(history):
    url = reverse("stats:builder") + "?metric=zero_incident_rate&period=2026-03&compare=yoy&group_by=class"
    assert_every_figure_matches_its_records(history.login(history.leader), url)


def test_the_drill_down_lists_the_incidents_with_links(history):
    client = history.login(history.leader)
    response = client.get(
        reverse("stats:records"),
        {"metric": "incidents", "period": "2026-03", "group_by": "category", "key": "0111", "baseline": "0"},
    )
    assert response.status_code == 200
    assert response.context["count"] == response.context["figure"] == 3
    html = response.content.decode()
    for incident in Incident.objects.filter(category__code="0111", received_at__year=2026):
        assert reverse("dispatch:incident", args=[incident.pk]) in html and incident.number in html
    assert "入室盗窃" in html


def test_the_drill_down_of_cases_links_to_the_case_pages(history):
    client = history.login(history.leader)
    response = client.get(
        reverse("stats:records"), {"metric": "clearance_rate", "period": "2026-03", "part": "numerator"}
    )
    assert response.context["count"] == response.context["figure"] == 1
    case = response.context["page"].object_list[0]
    assert reverse("cases:detail", args=[case.pk]) in response.content.decode()


def test_the_drill_down_pages_by_100(history):
    for minute in range(101):
        call(history, f"2026-04-01 10:{minute % 60:02d}", category="0802" if minute < 60 else "0801")
    client = history.login(history.leader)
    params = {"metric": "incidents", "period": "2026-04"}
    first = client.get(reverse("stats:records"), params)
    assert first.context["count"] == first.context["figure"] == 101
    assert len(first.context["page"].object_list) == 100
    assert 'id="next-page"' in first.content.decode()
    second = client.get(reverse("stats:records"), {**params, "page": 2})
    assert len(second.context["page"].object_list) == 1


def test_the_drill_down_costs_the_same_queries_for_10_or_100_rows(history, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = history.login(history.leader)
    params = {"metric": "incidents", "period": "2026-03", "group_by": "station"}
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("stats:records"), params)
    for minute in range(40):
        call(history, f"2026-03-20 10:{minute:02d}", category="0802")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("stats:records"), params)
    assert response.context["count"] == 47


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "next week"}, "period"),
        ({"period": "2026-03", "metric": "crime_index"}, "metric"),
        ({"period": "2026-03", "compare": "qoq"}, "compare"),
        ({"period": "2026-03", "group_by": "street"}, "group_by"),
        ({"period": "2026-03", "class": "bogus"}, "class"),
        ({"period": "2026-03", "category": "9999"}, "category"),
        ({"period": "2026-03", "org": "999999"}, "org"),
        ({"period": "2026-03", "grid": "zzz"}, "grid"),
        ({"period": "2026-03", "metric": "cases_filed", "group_by": "grid"}, "group_by"),
    ],
)
def test_a_bad_parameter_is_shown_on_the_form_naming_the_field(history, params, field):
    client = history.login(history.leader)
    response = client.get(reverse("stats:builder"), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="stats-error" data-field="{field}"' in html
    assert 'id="stats-form"' in html  # the form is there to correct it
    assert field in response.context["error"].message or response.context["error"].field == field
    # The same parameters to the drill-down and the exports: a message, never a 500.
    for url in (
        reverse("stats:records"),
        reverse("stats:export", args=["xlsx"]),
        reverse("stats:export", args=["pdf"]),
    ):
        other = client.get(url, params)
        assert other.status_code == 400, url
        assert f'data-field="{field}"' in other.content.decode()


def test_the_period_error_names_the_field_in_its_message(history):
    response = history.login(history.leader).get(reverse("stats:builder"), {"period": "2026-13"})
    assert "period「2026-13」" in response.context["error"].message


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"group_by": "station", "key": "nope"}, "key"),
        ({"part": "bogus"}, "part"),
        ({"part": "denominator"}, "part"),
        ({"baseline": "1", "compare": ""}, "baseline"),
    ],
)
def test_a_bad_drill_down_link_names_the_field(history, extra, field):
    params = {"metric": "incidents", "period": "2026-03", "compare": "yoy", **extra}
    response = history.login(history.leader).get(reverse("stats:records"), params)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()


def test_an_htmx_request_gets_the_builder_alone(history):
    response = history.login(history.leader).get(
        reverse("stats:builder"), {"period": "2026-03", "compare": "yoy"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.startswith('<div id="builder"') and "<html" not in html


def test_the_outsider_sees_only_their_own_station(history):
    client = history.login(history.outsider)
    response = client.get(
        reverse("stats:builder"), {"metric": "incidents", "period": "2026-03", "compare": "yoy", "group_by": "station"}
    )
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [line.row.label for line in lines] == ["冀州镇派出所", "合计"]
    assert (lines[-1].row.value, lines[-1].row.baseline) == (1, 2)
    assert "河西派出所" not in response.content.decode()
    assert assert_every_figure_matches_its_records(
        client, response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"]
    )


def test_the_outsider_gets_an_error_for_another_org(history):
    client = history.login(history.outsider)
    for org in (str(history.station_a1.pk), history.branch_a.code):
        params = {"metric": "incidents", "period": "2026-03", "org": org}
        response = client.get(reverse("stats:builder"), params)
        assert response.status_code == 400
        assert response.context["error"].field == "org"
        assert client.get(reverse("stats:records"), params).status_code == 400
        assert client.get(reverse("stats:export", args=["xlsx"]), params).status_code == 400


def test_the_outsider_cannot_drill_into_another_stations_group(history):
    params = {
        "metric": "incidents",
        "period": "2026-03",
        "group_by": "station",
        "key": str(history.station_a1.pk),
    }
    response = history.login(history.outsider).get(reverse("stats:records"), params)
    assert response.status_code == 400
    assert b"\xe6\xb2\xb3\xe8\xa5\xbf" not in response.content  # 河西


def test_an_officer_without_a_unit_is_denied(history):
    from tests.factories import OfficerFactory

    nobody = OfficerFactory(username="nobody", organization=None)
    client = history.login(nobody)
    for name in ("stats:builder", "stats:records", "stats:dashboard", "stats:dashboard-data", "stats:dashboard-cells"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("stats:export", args=["xlsx"])).status_code == 403
    assert 'id="nav-stats"' not in client.get(reverse("cases:list")).content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    for name in ("stats:builder", "stats:records", "stats:dashboard", "stats:dashboard-data", "stats:dashboard-cells"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_nav_links_to_statistics(history):
    html = history.login(history.station_officer).get(reverse("cases:list")).content.decode()
    assert 'id="nav-stats"' in html and reverse("stats:builder") in html


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_page_loads_its_data_from_the_json_endpoint(history):
    response = history.login(history.leader).get(reverse("stats:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("stats:dashboard-data") in html
    assert "vendor/echarts/echarts.min.js" in html and "vendor/leaflet/leaflet.js" in html


def test_the_dashboard_data_covers_the_period(history):
    client = history.login(history.leader)
    response = client.get(reverse("stats:dashboard-data"), {"period": "2026-03"})
    assert response.status_code == 200
    data = response.json()
    assert data["period"]["code"] == "2026-03"
    assert data["kpis"][0]["value"] == "7" and data["kpis"][0]["change"] == "同比上升 133.33%"
    assert [r["label"] for r in data["ranking"]] == ["河西派出所", "河东派出所", "冀州镇派出所"]
    assert [r["rank"] for r in data["ranking"]] == [1, 2, 3]
    assert sum(data["grid"]["counts"].values()) == 7
    assert dict(zip(data["classes"]["labels"], data["classes"]["current"], strict=True))["刑事"] == 5
    trend = data["trend"]
    assert len(trend["months"]) == 12 and len(trend["last_year"]["data"]) == 12
    # Every cell of the heat map links to its incidents.
    for cell, n in data["grid"]["counts"].items():
        assert client.get(data["grid"]["records"] + cell).context["count"] == n


def test_the_heat_map_outlines_are_the_cells_in_scope(history):
    from anmin.geo.models import GridCell

    response = history.login(history.leader).get(reverse("stats:dashboard-cells"))
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    data = response.json()
    assert len(data["cells"]) == GridCell.objects.count()
    h3, station, flat, name = data["cells"][0]
    assert len(flat) == 12 and data["stations"][str(station)] and name == GridCell.objects.get(h3=h3).name
    outsider = history.login(history.outsider).get(reverse("stats:dashboard-cells")).json()
    assert set(outsider["stations"].values()) == {"冀州镇派出所"}
    assert len(outsider["cells"]) == GridCell.objects.filter(jurisdiction=history.station_b1).count()


def test_the_dashboard_trend_is_this_year_against_last(history):
    from django.utils import timezone

    today = timezone.localdate()
    call(history, f"{today.isoformat()} 00:30")
    data = history.login(history.leader).get(reverse("stats:dashboard-data")).json()
    trend = data["trend"]
    assert trend["so_far"]["data"][today.month - 1] >= 1  # this month so far: a point of its own
    assert all(value is None for value in trend["this_year"]["data"][today.month - 1 :])
    assert all(value is not None for value in trend["this_year"]["data"][: today.month - 1])
    assert data["period"]["code"].startswith(f"{today.year}-01-01..")


def test_the_dashboard_data_rejects_a_bad_period(history):
    response = history.login(history.leader).get(reverse("stats:dashboard-data"), {"period": "soon"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "period"


def test_the_outsiders_dashboard_shows_only_their_station(history):
    data = history.login(history.outsider).get(reverse("stats:dashboard-data"), {"period": "2026-03"}).json()
    assert [r["label"] for r in data["ranking"]] == ["冀州镇派出所"]
    assert data["kpis"][0]["value"] == "1"
    assert sum(data["grid"]["counts"].values()) == 1


# --- exports and the standard pack ---------------------------------------------------------------


def xlsx_cells(content: bytes) -> list[str]:
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(content))
    return [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_the_exports_are_files_of_the_same_report(history):
    client = history.login(history.leader)
    params = {"metric": "incidents", "period": "2026-03", "compare": "yoy", "group_by": "station", "rank": "1"}
    xlsx = client.get(reverse("stats:export", args=["xlsx"]), params)
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx["Content-Disposition"].startswith("attachment;")
    cells = xlsx_cells(xlsx.content)
    assert "河西派出所" in cells and "冀州镇派出所" in cells
    pdf = client.get(reverse("stats:export", args=["pdf"]), params)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment;")


def test_the_outsiders_export_has_only_their_station(history):
    client = history.login(history.outsider)
    params = {"metric": "incidents", "period": "2026-03", "compare": "yoy", "group_by": "station"}
    xlsx = client.get(reverse("stats:export", args=["xlsx"]), params)
    cells = xlsx_cells(xlsx.content)
    assert "冀州镇派出所" in cells and "河西派出所" not in cells


@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_the_standard_pack_downloads(history, kind):
    client = history.login(history.leader)
    period = "2026-W11" if kind == "weekly" else "2026-03"
    xlsx = client.get(reverse("stats:pack", args=[kind, "xlsx"]), {"period": period})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert xlsx["Content-Disposition"].startswith("attachment;")
    pdf = client.get(reverse("stats:pack", args=[kind, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_pack_with_a_wrong_period_names_the_field(history):
    client = history.login(history.leader)
    response = client.get(reverse("stats:pack", args=["weekly", "xlsx"]), {"period": "2026-03"})
    assert response.status_code == 400
    assert 'data-field="period"' in response.content.decode()
    assert client.get(reverse("stats:pack", args=["daily", "xlsx"])).status_code == 404
    assert client.get(reverse("stats:export", args=["csv"])).status_code == 404
