"""Query-count baselines for the board's lists (STYLE: a list of 100 rows must not cost 100 queries).

Each page is measured with a few rows and with 100; the count must not grow, and must stay at or
under the baseline recorded here (raise it only with a reason in the commit message)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anmin.cases.actions import OpenCase
from anmin.dispatch.actions import DispatchUnits
from anmin.incidents.actions import ReceiveCall
from tests.factories import UnitFactory

# Full pages carry the menu, whose pending counts cost one query each for the entries shown: a
# station officer sees 回访 and 政务服务 (anmin.menu), two queries more on /board/ and /cases/.
BASELINES = {
    "/board/": 12,
    "/board/queue/": 7,
    "/board/units/": 5,
    "/board/map.json": 7,
    "/board/map.json?static=1": 9,
    "/cases/": 9,
}


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_incidents(city, call_data, n: int) -> None:
    for i in range(n):
        data = dict(call_data, lat=call_data["lat"] + 0.0001 * (i % 20), description=f"第 {i} 起")
        incident, _ = ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()
        OpenCase(by=city.station_officer, kind="criminal", title=f"案件 {i}", incident=incident).execute()
        if i % 10 == 0:  # some with a unit on the way, so the assignments prefetch has rows
            unit = UnitFactory(organization=city.station_a1)
            DispatchUnits(incident=incident, unit_ids=[unit.pk], by=city.dispatcher).execute()


@pytest.mark.parametrize("url", sorted(BASELINES))
def test_board_lists_cost_a_constant_number_of_queries(city, call_data, url):
    client = city.login(city.station_officer)  # scoped: visible_to adds its subquery
    _add_incidents(city, call_data, 5)
    # A session's first page also records its activity (the idle timeout writes it once a
    # minute): that is per session, not per row, and is left out of the comparison.
    client.get(url)
    few = _count(client, url)
    _add_incidents(city, call_data, 95)
    many = _count(client, url)
    assert many == few, f"{url}: {few} queries with 5 incidents, {many} with 100"
    assert many <= BASELINES[url], f"{url}: {many} queries, baseline {BASELINES[url]}"
