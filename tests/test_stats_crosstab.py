"""交叉统计: a station × class table whose every cell is the one-dimensional report's figure, within
the viewer's scope (the benchmark `anmin bench stats` checks the same against DuckDB at scale)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from anmin.core.errors import ActionError
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentClass
from anmin.stats import report
from anmin.stats.crosstab import crosstab
from tests.conftest import A1_POINT, B1_POINT

TZ = ZoneInfo("Asia/Shanghai")
A2_POINT = (37.76, 115.70)


def call(city, when: str, point, category: str, *, cancel: bool = False) -> None:
    data = {"category": category, "lat": point[0], "lon": point[1], "address": "测试路 1 号", "priority": 2}
    at = datetime.fromisoformat(when).replace(tzinfo=TZ)
    incident = ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=at).execute()[0]
    if cancel:
        incident.status = Incident.Status.CANCELLED
        incident.save()


@pytest.fixture
def march(city):
    call(city, "2026-03-02 09:00", A1_POINT, "0111")
    call(city, "2026-03-09 08:00", A1_POINT, "0106")
    call(city, "2026-03-10 10:00", A1_POINT, "0601")
    call(city, "2026-03-11 10:00", A1_POINT, "0601", cancel=True)  # not a valid incident
    call(city, "2026-03-12 11:00", A2_POINT, "0201")
    call(city, "2026-03-31 23:30", B1_POINT, "0111")  # 31 March local time, 15:30 UTC
    call(city, "2025-03-03 09:00", A1_POINT, "0111")
    call(city, "2025-03-20 09:00", B1_POINT, "0601")
    return city


def question(period: str, klass: str = "") -> dict:
    return {"metric": "incidents", "period": period, "compare": "yoy", "group_by": "station", "class": klass}


@pytest.mark.parametrize("period", ["2026-03", "2026-03-01..2026-03-31", "2026-03-02..2026-03-30"])
def test_it_gives_each_cell_the_figure_of_the_report_for_that_class(march, period):
    leader = march.leader
    table = crosstab(report.parse_query(question(period), leader), leader)
    assert [c["key"] for c in table["cols"]] == list(IncidentClass.values)
    for klass in IncidentClass.values:
        for row in report.run(report.parse_query(question(period, klass), leader), leader).rows:
            cell = table["cells"][row.key][klass]
            assert (cell["value"], cell["baseline"], cell["change"], cell["change_pct"]) == (
                row.value,
                row.baseline,
                row.change,
                row.change_pct,
            ), (row.key, klass)


def test_it_compares_each_station_and_class_with_last_year(march):
    leader = march.leader
    table = crosstab(report.parse_query(question("2026-03"), leader), leader)
    a1, b1 = str(march.station_a1.pk), str(march.station_b1.pk)
    assert table["cells"][a1]["criminal"] == {"value": 2, "baseline": 1, "change": 1, "change_pct": 100.0}
    assert table["cells"][a1]["dispute"] == {"value": 1, "baseline": 0, "change": 1, "change_pct": None}
    assert table["cells"][b1]["dispute"] == {"value": 0, "baseline": 1, "change": -1, "change_pct": -100.0}
    assert table["cells"][b1]["criminal"]["value"] == 1  # 23:30 local on 31 March is still March
    assert table["col_totals"]["criminal"] == {"value": 3, "baseline": 1, "change": 2, "change_pct": 200.0}
    assert table["row_totals"][a1]["value"] == 3  # the cancelled call is not counted
    assert table["total"] == {"value": 5, "baseline": 2, "change": 3, "change_pct": 150.0}
    assert table["period"] == "2026-03"
    assert table["baseline_period"] == "2025-03"


def test_it_denies_other_stations_to_an_outsider(march):
    outsider = march.outsider
    table = crosstab(report.parse_query(question("2026-03"), outsider), outsider)
    assert [r["key"] for r in table["rows"]] == [str(march.station_b1.pk)]
    assert table["total"]["value"] == 1


def test_it_rejects_a_dimension_it_cannot_cross(march):
    query = report.parse_query(question("2026-03"), march.leader)
    with pytest.raises(ActionError) as raised:
        crosstab(query, march.leader, rows="grid")
    assert raised.value.field == "rows"
    with pytest.raises(ActionError) as raised:
        crosstab(query, march.leader, cols="station")
    assert raised.value.field == "cols"
