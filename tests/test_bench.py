"""`anmin bench`: the command's behaviour, not the timings (those depend on the machine)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from anmin.bench import percentile
from anmin.bench.api import redact


@pytest.mark.django_db
def test_it_prints_dispatch_results_as_one_json_object():
    buf = StringIO()
    call_command("bench", "dispatch", "--json", "--units", "50", "--incidents", "200", stdout=buf)
    result = json.loads(buf.getvalue())
    rank = result["results"]["rank"]
    assert rank["count"] == 200
    assert rank["p50_ms"] > 0
    assert rank["p99_ms"] > 0
    assert result["params"] == {"units": 50, "incidents": 200, "stations": 60, "seed": 2026}
    assert set(result["machine"]) >= {"cpu_count", "python", "database"}
    assert result["targets"][0]["metric"] == "rank.p99_ms"
    assert isinstance(result["targets_met"], bool)


@pytest.mark.django_db
def test_it_skips_the_query_timing_without_units():
    buf = StringIO()
    call_command("bench", "dispatch", "--json", "--units", "20", "--incidents", "20", stdout=buf)
    assert "skipped" in json.loads(buf.getvalue())["results"]["query"]


@pytest.mark.django_db
def test_it_prints_a_readable_table_by_default():
    buf = StringIO()
    call_command("bench", "dispatch", "--units", "20", "--incidents", "20", stdout=buf)
    out = buf.getvalue()
    assert "p99_ms" in out
    assert "rank p99 ≤ 5 ms" in out


def test_it_rejects_an_unknown_bench_naming_the_valid_ones():
    with pytest.raises(CommandError, match="unknown benchmark 'nope'.*api, deadlines, dispatch"):
        call_command("bench", "nope")


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_it_rejects_a_non_positive_unit_count(value):
    with pytest.raises(CommandError, match="--units: must be a positive integer"):
        call_command("bench", "dispatch", "--units", value)


def test_it_rejects_an_option_of_another_bench():
    with pytest.raises(CommandError, match="--requests does not apply to bench dispatch"):
        call_command("bench", "dispatch", "--requests", "10")


def test_it_takes_percentiles_by_nearest_rank():
    values = list(range(1, 201))
    assert percentile(values, 50) == 100
    assert percentile(values, 99) == 198
    assert percentile(values, 100) == 200


def test_it_never_prints_the_database_password():
    assert redact("postgres://anmin:s3cret@db:5432/anmin") == "postgres://anmin:***@db:5432/anmin"
    assert redact("sqlite:////tmp/x.sqlite3") == "sqlite:////tmp/x.sqlite3"


def test_it_answers_the_yoy_question_like_duckdb_on_a_small_city():
    buf = StringIO()
    call_command("bench", "stats", "--json", "--incidents", "20000", stdout=buf)
    result = json.loads(buf.getvalue())
    assert result["bench"] == "stats"
    assert result["params"]["incidents"] == 20000
    assert result["params"]["database"] == "temporary SQLite (WAL)"
    summary = result["results"]["summary"]
    assert summary["equal"] is True
    assert summary["differing_cells"] == 0
    for key in ("engine_s", "engine_cold_s", "duckdb_s", "ratio", "rollup_build_s", "generate_s"):
        assert summary[key] > 0, key
    assert summary["incidents_2025"] + summary["incidents_2024"] > 0
    assert result["results"]["data"]["incidents"] == 20000
    engine = result["results"]["engine"]
    assert (engine["rows"], engine["cols"]) == (100, 8)
    assert engine["queries"] <= 6  # one GROUP BY per period, not one per class
    assert result["results"]["engine_8_reports"]["equal_to_crosstab"] is True
    duckdb = result["results"]["duckdb"]
    assert duckdb["equal"] is True
    assert duckdb["cells_compared"] == 800
    assert duckdb["timezone_warm_s"] > 0
    assert duckdb["ranges_warm_s"] > 0
    importer = result["results"]["importer"]
    assert "skipped" in importer or (importer["imported"] == importer["rows"] and importer["rollups_follow"])
    assert [t["metric"] for t in result["targets"]] == ["summary.engine_s", "summary.engine_cold_s", "summary.equal"]
    assert result["targets"][2]["met"] is True


def test_it_rejects_a_database_it_cannot_bulk_load():
    with pytest.raises(CommandError, match="PostgreSQL or SQLite"):
        call_command("bench", "stats", "--database-url", "mysql://u@localhost/x", "--incidents", "10")


def test_the_portal_bench_races_for_slots_without_over_booking():
    buf = StringIO()
    call_command("bench", "portal", "--json", "--concurrency", "4", "--requests", "20", stdout=buf)
    result = json.loads(buf.getvalue())
    assert result["bench"] == "portal"
    assert result["params"]["clients"] == 4
    verify = result["results"]["bookings"]["verify"]
    assert verify["overbooked_seats"] == 0 and verify["counter_mismatches"] == 0
    assert verify["rows"] == 20 == result["results"]["bookings"]["outcomes"]["booked"]  # 4 clients × 5 slots
    reads = result["results"].get("status") or result["results"]["status (booking page instead)"]
    for run in ("closed_loop", "paced"):
        assert reads[run]["count"] == 20 and reads[run]["errors"] == 0
        assert reads[run]["statuses"] == {"200": 20}
        assert reads[run]["server_cpu_ms_per_request"] > 0
    assert reads["paced"]["offered_per_s"] == result["params"]["rate"] == 500
    assert result["params"]["redis"] is None
    metrics = {t["metric"] for t in result["targets"]}
    assert {"status.closed_loop.throughput_per_s", "status.paced.p99_ms", "bookings.verify.overbooked_seats"} <= metrics
    assert "failure" not in result


def test_the_portal_bench_needs_redis_for_more_than_one_worker():
    with pytest.raises(CommandError, match="--redis-url"):
        call_command("bench", "portal", "--workers", "2", "--requests", "10")


def test_it_prints_the_numbers_then_fails_when_a_bench_found_something_wrong(monkeypatch):
    from anmin import bench

    def broken(**kwargs):
        return {"bench": "broken", "machine": {}, "params": {}, "results": {}, "targets": [], "failure": "2 ≠ 3"}

    monkeypatch.setitem(bench.BENCHMARKS, "broken", broken)
    buf = StringIO()
    with pytest.raises(CommandError, match="bench broken failed: 2 ≠ 3"):
        call_command("bench", "broken", "--json", stdout=buf)
    assert json.loads(buf.getvalue())["failure"] == "2 ≠ 3"
