"""统计: periods, hand-computed report tables, rollups equal to the raw records, drill-down, scope, API."""

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from anmin.cases.models import Case
from anmin.core.errors import ActionError
from anmin.geo.models import GridCell
from anmin.incidents.models import Category, Incident
from anmin.stats import periods, report, rollups
from anmin.stats.models import IncidentDay, IncidentMonth

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) time."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def incident(station, when: datetime, code: str = "0110", *, arrive_min: float | None = None, status="reported"):
    cell = GridCell.objects.filter(jurisdiction=station).order_by("h3").first()
    return Incident.objects.create(
        number=f"T{next(_numbers):010d}",
        received_at=when,
        category=Category.objects.get(code=code),
        address="测试地址",
        lat=cell.lat,
        lon=cell.lon,
        grid_cell=cell,
        station=station,
        area_type=cell.area_type,
        target_minutes=5,
        arrival_due_at=when + timedelta(minutes=5),
        arrived_at=when + timedelta(minutes=arrive_min) if arrive_min is not None else None,
        status=status,
    )


def case(station, officer, accepted: datetime, *, filed=None, solved=None, code="0110", kind="criminal"):
    return Case.objects.create(
        number=f"A{next(_numbers):012d}",
        kind=kind,
        title="测试案件",
        organization=station,
        lead_investigator=officer,
        category=Category.objects.get(code=code),
        accepted_at=accepted,
        filed_at=filed,
        solved_at=solved,
        status="solved" if solved else ("filed" if filed else "accepted"),
    )


def run(user, **params):
    query = report.parse_query(params, user)
    return query, report.run(query, user)


def table(result):
    return {row.key: (row.value, row.baseline, row.change, row.change_pct) for row in result.rows}


# --- periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2021", date(2021, 1, 1), date(2021, 12, 31)),
        ("2021-Q1", date(2021, 1, 1), date(2021, 3, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2021-03", date(2021, 3, 1), date(2021, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2021-W09", date(2021, 3, 1), date(2021, 3, 7)),
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),  # a week across the new year
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 3)),
        ("2021-03-01", date(2021, 3, 1), date(2021, 3, 1)),
        ("2021-03-01..2021-03-15", date(2021, 3, 1), date(2021, 3, 15)),
    ],
)
def test_it_parses_every_period_form(text, start, end):
    period = periods.parse(text)
    assert (period.start, period.end) == (start, end)
    assert period.code == text


@pytest.mark.parametrize(
    "text", ["", "21", "2021-13", "2021-Q5", "2021-W54", "2021-W00", "2021-02-30", "2021-03-15..2021-03-01", "上月"]
)
def test_it_rejects_a_bad_period_naming_the_field(text):
    with pytest.raises(ActionError) as caught:
        periods.parse(text)
    assert caught.value.field == "period"
    assert caught.value.message


@pytest.mark.parametrize(
    ("text", "compare", "start", "end"),
    [
        ("2025", "yoy", date(2024, 1, 1), date(2024, 12, 31)),
        ("2025-Q1", "pop", date(2024, 10, 1), date(2024, 12, 31)),
        ("2025-03", "pop", date(2025, 2, 1), date(2025, 2, 28)),
        ("2025-01", "pop", date(2024, 12, 1), date(2024, 12, 31)),
        ("2025-02", "yoy", date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-02-29", "yoy", date(2023, 2, 28), date(2023, 2, 28)),  # leap day
        ("2024-02-01..2024-02-29", "yoy", date(2023, 2, 1), date(2023, 2, 28)),
        ("2025-W01", "yoy", date(2024, 1, 1), date(2024, 1, 7)),  # 2024-W01 began on 1 January
        ("2021-W01", "yoy", date(2019, 12, 30), date(2020, 1, 5)),  # 2020-W01 began in 2019
        ("2020-W53", "yoy", date(2019, 12, 23), date(2019, 12, 29)),  # 2019 has no week 53: week 52
        ("2026-W53", "yoy", date(2025, 12, 22), date(2025, 12, 28)),  # 2025 has none: week 52
        ("2025-W01", "pop", date(2024, 12, 23), date(2024, 12, 29)),
        ("2021-03-01..2021-03-15", "pop", date(2021, 2, 14), date(2021, 2, 28)),
    ],
)
def test_it_finds_the_baseline_period(text, compare, start, end):
    base = periods.baseline(periods.parse(text), compare)
    assert (base.start, base.end) == (start, end)


def test_it_splits_a_period_into_whole_months_and_edge_days():
    months, ranges = periods.split(periods.parse("2024-01-15..2024-04-10"))
    assert months == [date(2024, 2, 1), date(2024, 3, 1)]
    assert ranges == [(date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 4, 1), date(2024, 4, 10))]


# --- hand-computed tables --------------------------------------------------------------------------


@pytest.fixture
def history(city):
    """2025-03 against 2024-03 (同比) and 2025-02 (环比), by hand:

    station  class         2024-03  2025-02  2025-03
    A1       criminal          81        0       73   → 同比 −8, −9.88 %
    A1       public_order       0        2        3   → zero baseline: —
    A2       criminal           4        0        4   → 持平
    B1       traffic            2        1        0
    plus one cancelled incident in 2025-03 (not counted) and one in April.
    """
    for i in range(81):
        incident(city.station_a1, at("2024-03-01 08:00") + timedelta(hours=i))
    for i in range(73):
        incident(city.station_a1, at("2025-03-02 08:00") + timedelta(hours=i))
    for day in ("2025-02-10", "2025-02-28"):
        incident(city.station_a1, at(f"{day} 12:00"), "0201")
    for day in ("2025-03-01", "2025-03-15", "2025-03-31"):
        incident(city.station_a1, at(f"{day} 23:59:59"), "0201")
    for day in ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-31"):
        incident(city.station_a2, at(f"{day} 10:00"), "0101")
    for day in ("2025-03-01", "2025-03-05", "2025-03-06", "2025-03-31"):
        incident(city.station_a2, at(f"{day} 10:00"), "0101")
    incident(city.station_b1, at("2024-03-10 10:00"), "0301")
    incident(city.station_b1, at("2024-03-11 10:00"), "0302")
    incident(city.station_b1, at("2025-02-11 10:00"), "0301")
    incident(city.station_a1, at("2025-03-20 10:00"), status="cancelled")
    incident(city.station_a1, at("2025-04-01 00:00"))
    return city


def test_it_prints_the_hand_computed_table_by_class(history):
    query, result = run(history.leader, metric="incidents", period="2025-03", compare="yoy", group_by="class")
    rows = table(result)
    assert rows["criminal"] == (77, 85, -8, -9.41)
    assert rows["public_order"] == (3, 0, 3, None)
    assert rows["traffic"] == (0, 2, -2, -100.0)
    assert rows["fire"] == (0, 0, 0, None)
    assert (result.total.value, result.total.baseline, result.total.change) == (80, 87, -7)
    assert result.total.change_pct == -8.05  # 7 / 87 = 8.0459…
    by_key = {row.key: row for row in result.rows}
    assert report.change_text(by_key["public_order"], "yoy", query.metric) == "—"
    assert report.change_text(by_key["criminal"], "yoy", query.metric) == "同比下降 9.41%"
    assert report.change_text(by_key["fire"], "yoy", query.metric) == "—"


def test_it_prints_the_hand_computed_table_by_station_with_a_chinese_percentage(history):
    query, result = run(history.leader, metric="incidents", period="2025-03", compare="yoy", group_by="station")
    rows = table(result)
    a1, a2, b1 = (str(s.pk) for s in (history.station_a1, history.station_a2, history.station_b1))
    assert rows[a1] == (76, 81, -5, -6.17)
    assert rows[a2] == (4, 4, 0, 0.0)
    assert rows[b1] == (0, 2, -2, -100.0)
    criminal_a1 = run(
        history.leader, metric="incidents", period="2025-03", compare="yoy", group_by="station", **{"class": "criminal"}
    )[1]
    row = next(r for r in criminal_a1.rows if r.key == a1)
    assert (row.value, row.baseline, row.change_pct) == (73, 81, -9.88)
    assert report.change_text(row, "yoy", query.metric) == "同比下降 9.88%"
    assert report.change_text(next(r for r in result.rows if r.key == a2), "yoy", query.metric) == "同比持平"


def test_it_compares_with_the_previous_period(history):
    _query, result = run(history.leader, metric="incidents", period="2025-03", compare="pop", group_by="class")
    rows = table(result)
    assert rows["criminal"] == (77, 0, 77, None)
    assert rows["public_order"] == (3, 2, 1, 50.0)
    assert rows["traffic"] == (0, 1, -1, -100.0)


def test_it_groups_by_branch_and_by_the_next_level_down(history):
    _q, by_branch = run(history.leader, metric="incidents", period="2025-03", group_by="branch", compare="yoy")
    rows = table(by_branch)
    assert rows[str(history.branch_a.pk)][:2] == (80, 85)
    assert rows[str(history.branch_b.pk)][:2] == (0, 2)
    _q, below_a = run(history.leader, metric="incidents", period="2025-03", group_by="org", org=history.branch_a.code)
    assert {row.key: row.value for row in below_a.rows} == {
        str(history.station_a1.pk): 76,
        str(history.station_a2.pk): 4,
    }
    assert below_a.total.value == 80


def test_it_ranks_organizations_with_ties_sharing_a_place(history):
    query = report.parse_query({"metric": "incidents", "period": "2024-03", "group_by": "station"}, history.leader)
    ranked = report.run(query, history.leader, rank=True)
    assert [(row.label, row.value, row.rank) for row in ranked.rows] == [
        ("河西派出所", 81, 1),
        ("河东派出所", 4, 2),
        ("冀州镇派出所", 2, 3),
    ]
    query = report.parse_query({"metric": "incidents", "period": "2025-01", "group_by": "station"}, history.leader)
    assert {row.rank for row in report.run(query, history.leader, rank=True).rows} == {1}  # all zero: one place


def test_it_counts_a_custom_range_from_days_and_months(history):
    # 2025-02-28 .. 2025-03-31: the last day of February from the day table, March from the month table.
    _q, result = run(history.leader, metric="incidents", period="2025-02-28..2025-03-31", group_by="class")
    assert table(result)["public_order"][0] == 4
    assert result.total.value == 81


def test_it_puts_23_59_59_on_31_december_in_the_old_year(city):
    incident(city.station_a1, at("2024-12-31 23:59:59"))
    incident(city.station_a1, at("2025-01-01 00:00:00"))  # 2024-12-31 16:00 UTC
    incident(city.station_a1, at("2025-01-01 07:59:59"))  # still 2024 in UTC
    assert run(city.leader, metric="incidents", period="2024")[1].total.value == 1
    assert run(city.leader, metric="incidents", period="2025")[1].total.value == 2
    q = report.parse_query({"metric": "incidents", "period": "2024-12-31"}, city.leader)
    assert list(report.records(q, city.leader).values_list("received_at", flat=True)) == [at("2024-12-31 23:59:59")]


def test_it_counts_a_leap_day(city):
    incident(city.station_a1, at("2024-02-29 12:00"))
    incident(city.station_a1, at("2025-02-28 12:00"))
    _q, month = run(city.leader, metric="incidents", period="2025-02", compare="yoy")
    assert (month.total.value, month.total.baseline) == (1, 1)
    _q, day = run(city.leader, metric="incidents", period="2024-02-29", compare="yoy")
    assert (day.total.value, day.total.baseline, day.total.change_pct) == (1, 0, None)
    _q, next_day = run(city.leader, metric="incidents", period="2025-02-28", compare="yoy")
    assert (next_day.total.value, next_day.total.baseline) == (1, 0)  # 2024-02-28, not the 29th


def test_it_counts_a_week_across_the_new_year(city):
    incident(city.station_a1, at("2024-12-29 23:59:59"))  # Sunday of 2024-W52
    incident(city.station_a1, at("2024-12-30 00:00:00"))  # Monday of 2025-W01
    incident(city.station_a1, at("2025-01-05 23:59:59"))
    incident(city.station_a1, at("2025-01-06 00:00:00"))  # 2025-W02
    _q, week = run(city.leader, metric="incidents", period="2025-W01", compare="pop")
    assert (week.total.value, week.total.baseline, week.total.change_pct) == (2, 1, 100.0)


def test_it_computes_arrival_figures(city):
    incident(city.station_a1, at("2025-05-01 10:00"), arrive_min=4)
    incident(city.station_a1, at("2025-05-02 10:00"), arrive_min=5)
    incident(city.station_a1, at("2025-05-03 10:00"), arrive_min=9.5)
    incident(city.station_a1, at("2025-05-04 10:00"))  # never arrived: not in either figure
    assert run(city.leader, metric="on_time_rate", period="2025-05")[1].total.value == 66.67
    assert run(city.leader, metric="arrival_minutes", period="2025-05")[1].total.value == 6.17  # 18.5 / 3
    assert run(city.leader, metric="arrived", period="2025-05")[1].total.value == 3
    assert run(city.leader, metric="on_time_rate", period="2025-06")[1].total.value is None


def test_it_computes_the_clearance_rate_in_points(city):
    officer = city.station_officer
    for solved in (True, True, False):
        case(city.station_a1, officer, at("2025-04-01 09:00"), filed=at("2025-04-02 09:00"),
             solved=at("2025-04-20 09:00") if solved else None)  # fmt: skip
    for solved in (True, False, False, False):
        case(city.station_a1, officer, at("2024-04-01 09:00"), filed=at("2024-04-02 09:00"),
             solved=at("2024-04-09 09:00") if solved else None)  # fmt: skip
    case(city.station_a1, officer, at("2025-04-03 09:00"), kind="administrative", code="0201")
    query, result = run(city.leader, metric="clearance_rate", period="2025-04", compare="yoy")
    assert (result.total.value, result.total.baseline, result.total.change) == (66.67, 25.0, 41.67)
    assert report.change_text(result.total, "yoy", query.metric) == "同比上升 41.67 个百分点"
    assert run(city.leader, metric="cases_filed", period="2025-04")[1].total.value == 3
    assert run(city.leader, metric="cases_accepted", period="2025-04")[1].total.value == 4
    telecom = run(city.leader, metric="clearance_rate", period="2025-04", group="telecom_fraud")[1]
    assert telecom.total.value is None  # nothing filed: no rate, not 0 %
    assert run(city.leader, metric="clearance_rate", period="2025-04", group="property")[1].total.value == 66.67


def test_it_computes_the_share_of_grid_cells_without_incidents(city):
    cells = GridCell.objects.count()
    incident(city.station_a1, at("2025-05-01 10:00"))
    incident(city.station_b1, at("2025-05-02 10:00"), "0201")
    query, result = run(city.leader, metric="zero_incident_rate", period="2025-05", group_by="station")
    zero = cells - 2
    assert result.total.value == float(round(zero * 100 / cells, 2))
    assert report.records(query, city.leader, part="numerator").count() == zero
    assert report.records(query, city.leader, part="denominator").count() == cells
    a2 = next(r for r in result.rows if r.key == str(city.station_a2.pk))
    assert a2.value == 100.0
    criminal = run(city.leader, metric="zero_incident_rate", period="2025-05", **{"class": "criminal"})[1]
    assert criminal.total.value == float(round((cells - 1) * 100 / cells, 2))


# --- rollups equal the records ---------------------------------------------------------------------


def test_rollups_stay_equal_to_the_records_through_creates_edits_and_deletes(city):
    first = incident(city.station_a1, at("2025-01-31 23:30"))
    second = incident(city.station_a2, at("2025-02-01 08:00"), "0201")
    assert rollups.verify() == []
    first.received_at = at("2025-03-01 00:10")  # moves day and month
    first.save()
    second.category = Category.objects.get(code="0101")
    second.station = city.station_b1
    second.grid_cell = GridCell.objects.filter(jurisdiction=city.station_b1).first()
    second.save()
    first.arrived_at = first.received_at + timedelta(minutes=3)
    first.save(update_fields=["arrived_at"])
    assert rollups.verify() == []
    second.status = Incident.Status.CANCELLED
    second.save(update_fields=["status"])
    assert rollups.verify() == []
    second.status = Incident.Status.REPORTED  # reopened
    second.save(update_fields=["status"])
    Incident.objects.filter(pk=first.pk).delete()
    filed = case(city.station_a1, city.station_officer, at("2025-01-01 08:00"))
    filed.filed_at = at("2025-01-02 08:00")
    filed.save(update_fields=["filed_at"])
    assert rollups.verify() == []
    filed.delete()
    assert rollups.verify() == []
    assert run(city.leader, metric="incidents", period="2025")[1].total.value == 1


def test_a_rolled_back_change_leaves_the_figures_alone(city):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        incident(city.station_a1, at("2025-05-01 10:00"))
        raise RuntimeError
    assert run(city.leader, metric="incidents", period="2025-05")[1].total.value == 0
    assert rollups.verify() == []


def test_verify_finds_a_tampered_rollup_and_rebuild_repairs_it(city, capsys):
    incident(city.station_a1, at("2025-05-01 10:00"))
    incident(city.station_a1, at("2025-05-02 10:00"))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {IncidentMonth._meta.db_table} SET n = n + 1")  # noqa: S608
        cursor.execute(f"DELETE FROM {IncidentDay._meta.db_table} WHERE day = %s", [date(2025, 5, 2)])  # noqa: S608
    found = rollups.verify()
    assert {(d.table, d.period) for d in found} == {
        ("incident_month", date(2025, 5, 1)),
        ("incident_day", date(2025, 5, 2)),
    }
    with pytest.raises(SystemExit) as exit_code:
        call_command("stats", "verify")
    assert exit_code.value.code == 1
    assert "不一致" in capsys.readouterr().err
    call_command("stats", "rebuild")
    call_command("stats", "verify", "--from", "2025-05-01", "--to", "2025-05-31")
    assert "零差错" in capsys.readouterr().out
    assert rollups.verify() == []


def test_stats_command_rejects_bad_dates(city):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--from"):
        call_command("stats", "verify", "--from", "2025-13-01", "--to", "2025-12-31")
    with pytest.raises(CommandError, match="同时"):
        call_command("stats", "verify", "--from", "2025-01-01")


# --- drill-down ------------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", ["", "class", "category", "station", "branch", "org", "grid"])
def test_every_figure_drills_down_to_exactly_its_records(history, group_by):
    query, result = run(history.leader, metric="incidents", period="2025-03", compare="yoy", group_by=group_by)
    assert result.rows
    for row in [*result.rows, result.total]:
        assert report.records(query, history.leader, key=row.key).count() == row.value, row.label
        assert report.records(query, history.leader, key=row.key, baseline=True).count() == row.baseline, row.label


def test_ratio_figures_drill_down_to_numerator_and_denominator(city):
    incident(city.station_a1, at("2025-05-01 10:00"), arrive_min=4)
    incident(city.station_a1, at("2025-05-02 10:00"), arrive_min=8)
    query = report.parse_query({"metric": "on_time_rate", "period": "2025-05"}, city.leader)
    assert report.records(query, city.leader, part="numerator").count() == 1
    assert report.records(query, city.leader, part="denominator").count() == 2


# --- scope and bad input ---------------------------------------------------------------------------


def test_a_station_sees_only_its_own_figures(history):
    officer = history.station_officer  # station A1
    _q, result = run(officer, metric="incidents", period="2025-03", group_by="station")
    assert {row.key: row.value for row in result.rows} == {str(history.station_a1.pk): 76}
    assert result.total.value == 76
    with pytest.raises(ActionError) as caught:
        run(officer, metric="incidents", period="2025-03", org=history.station_b1.code)
    assert caught.value.field == "org"
    query = report.parse_query({"metric": "incidents", "period": "2025-03"}, history.outsider)
    assert report.records(query, history.outsider).count() == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "votes", "period": "2025"}, "metric"),
        ({"period": "2025-14"}, "period"),
        ({"period": "2025", "compare": "mom"}, "compare"),
        ({"period": "2025", "group_by": "weather"}, "group_by"),
        ({"period": "2025", "class": "alien"}, "class"),
        ({"period": "2025", "category": "9999"}, "category"),
        ({"period": "2025", "group": "nope"}, "group"),
        ({"period": "2025", "org": "999999999999"}, "org"),
        ({"period": "2025", "grid": "88ffffffffffff"}, "grid"),
        ({"metric": "clearance_rate", "period": "2025", "group_by": "grid"}, "group_by"),
        ({"period": "2025", "group_by": "grid", "category": "0110"}, "category"),
    ],
)
def test_it_names_the_field_of_a_bad_parameter(city, params, field):
    with pytest.raises(ActionError) as caught:
        report.parse_query(params, city.leader)
    assert caught.value.field == field


# --- API -------------------------------------------------------------------------------------------


def test_the_api_returns_the_report_rows(history):
    response = history.api(history.leader).get(
        "/api/v1/stats/report",
        {"metric": "incidents", "period": "2025-03", "compare": "yoy", "group_by": "station", "class": "criminal"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"code": "2025-03", "label": "2025年3月", "start": "2025-03-01", "end": "2025-03-31"}
    assert body["baseline_period"]["code"] == "2024-03"
    a1 = next(row for row in body["rows"] if row["key"] == str(history.station_a1.pk))
    assert a1 == {
        "key": str(history.station_a1.pk),
        "label": "河西派出所",
        "value": 73,
        "baseline": 81,
        "change": -8,
        "change_pct": -9.88,
        "change_text": "同比下降 9.88%",
        "rank": None,
    }
    assert body["total"]["value"] == 77
    records = history.api(history.leader).get(
        "/api/v1/stats/records",
        {"metric": "incidents", "period": "2025-03", "group_by": "station", "class": "criminal",
         "key": str(history.station_a1.pk), "limit": 5},
    )  # fmt: skip
    assert records.status_code == 200
    assert records.json()["count"] == 73
    assert len(records.json()["records"]) == 5


def test_the_api_names_the_bad_field_and_denies_anonymous(city):
    response = city.api(city.leader).get("/api/v1/stats/report", {"period": "2025-W99"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "period"
    from django.test import Client

    assert Client().get("/api/v1/stats/report", {"period": "2025"}).status_code == 401
