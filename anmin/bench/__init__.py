"""Benchmarks (`anmin bench NAME`): measured numbers for the paths a 110 centre waits on.

Each benchmark is a callable in `BENCHMARKS` taking keyword options and returning a plain dict:

    {"bench": NAME, "machine": {...}, "params": {...}, "results": {SECTION: {metric: value}},
     "targets": [{"name", "metric", "op", "target", "value", "met"}], "targets_met": bool}

so the same result prints as a table for a person or as one JSON object for CI and the record. A
result may also hold "failure" (a message) when the run found something wrong rather than slow, e.g.
two answers that must be equal are not: the command prints the result, then fails with it.
The benchmark modules are imported only when run: `anmin.bench` itself needs no Django models,
and `bench api` never touches the current database.
"""

import math
import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import Any

Result = dict[str, Any]


class BenchError(Exception):
    """A benchmark could not run (e.g. the demo city failed to build); the message says why."""


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values: always a value that was observed."""
    if not sorted_values:
        raise ValueError("no samples")
    index = max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)
    return sorted_values[index]


def summarize_ms(samples_s: Sequence[float], wall_s: float | None = None) -> dict[str, float | int]:
    """count, p50/p90/p99/max in milliseconds, and throughput per second over `wall_s` when given.

    Milliseconds are kept to 0.1 µs so that fast calls never round down to zero.
    """
    values = sorted(samples_s)
    summary: dict[str, float | int] = {"count": len(values)}
    for name, pct in (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99), ("max_ms", 100)):
        summary[name] = round(percentile(values, pct) * 1000, 4)
    if wall_s:
        summary["throughput_per_s"] = round(len(values) / wall_s, 1)
    return summary


def machine(database_vendor: str) -> dict[str, Any]:
    """What the numbers were measured on: without it a number cannot be compared with another."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(terse=True),
        "database": database_vendor,
    }


def target(name: str, metric: str, op: str, goal: float, value: float | int | None) -> dict[str, Any]:
    """One target and whether it was met; a missing value (e.g. a skipped section) is not met."""
    if value is None:
        met = False
    elif op == "<=":
        met = value <= goal
    elif op == ">=":
        met = value >= goal
    elif op == "==":
        met = value == goal
    else:
        raise ValueError(f"unknown operator {op!r}")
    return {"name": name, "metric": metric, "op": op, "target": goal, "value": value, "met": met}


def in_own_loop(make_coroutine: Callable[[], Any]) -> Any:
    """asyncio.run() on a thread of its own: the caller may already run an event loop (a test
    session with Playwright's sync API does), where asyncio.run() refuses to start."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def bench_dispatch(*, units: int = 1000, incidents: int = 10_000) -> Result:
    """警力推荐 ranking of `units` units for `incidents` random incidents, plus the units query."""
    from anmin.bench.dispatch import run

    return run(units=units, incidents=incidents)


def bench_api(
    *,
    requests: int = 2000,
    concurrency: int = 20,
    database_url: str | None = None,
    rate: int | None = None,
    workers: int = 1,
    redis_url: str | None = None,
    units: int = 1000,
) -> Result:
    """接警 API throughput and latency against a real `anmin serve`, create-to-board latency, and
    警力推荐 timed as production runs it against a force of `units` units."""
    from anmin.bench.api import run

    return run(
        requests=requests,
        concurrency=concurrency,
        database_url=database_url,
        rate=rate,
        workers=workers,
        redis_url=redis_url,
        units=units,
    )


def bench_deadlines(*, cases: int = 100_000, measures: int | None = None, database_url: str | None = None) -> Result:
    """办案时限 clock scan over `cases` open cases with `measures` measures (default 5 per case)."""
    from anmin.bench.deadlines import run

    return run(cases=cases, measures=measures, database_url=database_url)


def bench_stats(*, incidents: int | None = None, database_url: str | None = None) -> Result:
    """战果统计 同比 report (station × class, 2025 vs 2024) over five years of `incidents` incidents
    (default 10 M on PostgreSQL, 1 M on SQLite), against DuckDB on the raw rows."""
    from anmin.bench.stats import run

    return run(incidents=incidents, database_url=database_url)


def bench_portal(
    *,
    requests: int = 5000,
    concurrency: int = 100,
    rate: int = 500,
    database_url: str | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> Result:
    """The citizen portal against a real `anmin serve`: `requests` public status queries from
    `concurrency` clients, closed loop and paced at `rate` per second, then the same clients
    racing for counter slots (zero over-bookings)."""
    from anmin.bench.portal import run

    return run(
        clients=concurrency,
        requests=requests,
        rate=rate,
        database_url=database_url,
        workers=workers,
        redis_url=redis_url,
    )


def bench_soak(
    *,
    minutes: float | None = None,
    seconds: int | None = None,
    database_url: str | None = None,
    units: int = 1000,
) -> Result:
    """Steady mixed load against a real `anmin serve` for `minutes` (default 30) or `seconds`:
    intake, dispatch, unit status, board clients, portal queries, an export a minute; errors, p99
    per kind and the server's memory every minute."""
    from anmin.bench.soak import run

    if minutes is not None and seconds is not None:
        raise BenchError("give --minutes or --seconds, not both")
    duration_s = seconds if seconds is not None else (minutes if minutes is not None else 30) * 60
    return run(duration_s=duration_s, database_url=database_url, units=units)


def bench_addresses(*, database_url: str | None = None) -> Result:
    """标准地址匹配: top-1/top-5 accuracy on addresses perturbed as callers say them (levels left out,
    简称, slips, homophones, word order, landmarks, house numbers), generated from the full 衡水
    library, and the latency of one match."""
    from anmin.bench.addresses import run

    return run(database_url=database_url)


def bench_lanes(*, concurrency: int = 24, rate: int = 10) -> Result:
    """110 intake paced at `rate` calls/s while `concurrency` clients of eight officers download
    report packs (PDF and Excel) against a real `anmin serve`: intake must not wait behind them."""
    from anmin.bench.lanes import run

    return run(exporters=concurrency, rate=rate)


def bench_categories(*, incidents: int = 200_000) -> Result:
    """类别推荐: top-1/top-3 accuracy of the description-based category suggestion, trained on 80 % of
    the generated descriptions of a year of `incidents` calls and measured on the other 20 %, and
    its latency."""
    from anmin.bench.categories import run

    return run(incidents=incidents)


def bench_hotspots() -> Result:
    """警情研判: the Predictive Accuracy Index of the hotspot score against last week's counts on
    held-out weeks of a generated history with repeat-location structure, and its speed."""
    from anmin.bench.hotspots import run

    return run()


#: name → benchmark; the command passes only the options a benchmark's signature accepts.
BENCHMARKS: dict[str, Callable[..., Result]] = {
    "dispatch": bench_dispatch,
    "api": bench_api,
    "deadlines": bench_deadlines,
    "stats": bench_stats,
    "portal": bench_portal,
    "lanes": bench_lanes,
    "addresses": bench_addresses,
    "soak": bench_soak,
    "categories": bench_categories,
    "hotspots": bench_hotspots,
}


def run_child(module: str, params: dict, *, env: dict, cwd, timeout_s: int) -> dict:
    """Run `python -m MODULE PARAMS_JSON` (a benchmark's measuring child, on its own database and
    keys) and return the JSON object it prints last; a timeout or a failed child is a BenchError
    that quotes the child's last lines."""
    import json
    import subprocess

    command = [sys.executable, "-m", module, json.dumps(params)]
    try:
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"the benchmark took more than {timeout_s} s") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BenchError(f"the benchmark process exited {done.returncode}:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_keys() -> dict[str, str]:
    """Fresh audit and data keys for a benchmark's temporary database (unless the caller set some),
    so the children never read or write the keys of the checkout's own database."""
    from anmin.core.keys import new_key

    return {
        "AUDIT_KEY": os.environ.get("AUDIT_KEY") or new_key(),
        "DATA_KEY": os.environ.get("DATA_KEY") or new_key(),
        "AUDIT_KEY_FILE": "",
        "DATA_KEY_FILE": "",
    }
