"""`anmin bench NAME [--json]`: run one of the benchmarks in `anmin.bench.BENCHMARKS`."""

import argparse
import inspect
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anmin.bench import BENCHMARKS, BenchError, Result

#: Command-line options that are passed to a benchmark, if its signature accepts them.
BENCH_OPTIONS = (
    "units",
    "incidents",
    "requests",
    "concurrency",
    "database_url",
    "rate",
    "workers",
    "redis_url",
    "cases",
    "measures",
    "minutes",
    "seconds",
)


def positive_int(value: str) -> int:
    """argparse type: an integer ≥ 1 (a benchmark of zero units or requests measures nothing)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return number


def positive_float(value: str) -> float:
    """argparse type: a number > 0 (`--minutes 0.5` is a short soak; zero minutes soaks nothing)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value!r}")
    return number


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        # Thousands separators only where they help: "10,000 incidents" but "seed 2026".
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def render_table(result: Result) -> str:
    """A readable report: machine and parameters, one block of metrics per section, the targets."""
    lines = [f"bench {result['bench']}"]
    lines.append("  machine: " + ", ".join(f"{k} {_format(v)}" for k, v in result["machine"].items()))
    lines.append("  params:  " + ", ".join(f"{k} {_format(v)}" for k, v in result["params"].items()))
    for section, metrics in result["results"].items():
        lines.append("")
        lines.append(section)
        width = max((len(k) for k in metrics), default=0)
        for key, value in metrics.items():
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            lines.append(f"  {key:<{width}}  {_format(value)}")
    lines.append("")
    lines.append("targets")
    for t in result["targets"]:
        mark = "✓ met" if t["met"] else "✗ MISSED"
        lines.append(f"  {mark:<8}  {t['name']}  (measured {_format(t['value'])})")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Benchmarks: `anmin bench dispatch` (警力推荐 ranking, 1,000 units × 10,000 incidents), "
        "`anmin bench api` (接警 API under 20 concurrent clients against a real `anmin serve`, and "
        "create-to-board WebSocket latency), `anmin bench deadlines` (办案时限 scan, 100,000 open cases) and "
        "`anmin bench stats` (同比 report by station × class over five years of incidents, against DuckDB); "
        "`anmin bench portal` (public status queries and 100 clients racing for counter slots against `anmin serve`); "
        "`anmin bench soak` (steady mixed load for --minutes, errors, p99 and the server's memory every minute). "
        "Prints a table, or one JSON object with --json; exits non-zero when a target is missed or a request failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=f"benchmark to run: {', '.join(sorted(BENCHMARKS))}")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
        dispatch = parser.add_argument_group("bench dispatch")
        dispatch.add_argument(
            "--units", type=positive_int, help="units to rank; api, soak: units in the force (default 1000)"
        )
        dispatch.add_argument(
            "--incidents",
            type=positive_int,
            help="dispatch: incidents to rank for (default 10000); "
            "stats: incidents to generate (default 10,000,000 on PostgreSQL, 1,000,000 on SQLite)",
        )
        api = parser.add_argument_group("bench api")
        api.add_argument("--requests", type=positive_int, help="measured create requests (default 2000)")
        api.add_argument("--concurrency", type=positive_int, help="concurrent clients (default 20)")
        api.add_argument("--rate", type=positive_int, help="offered load in requests/s (default: closed loop)")
        api.add_argument("--workers", type=positive_int, help="anmin serve worker processes (default 1)")
        api.add_argument("--redis-url", help="Redis for the channel layer (needed with --workers > 1)")
        api.add_argument(
            "--database-url",
            help="benchmark against this database instead of a temporary SQLite file. api, soak: it gets the demo "
            "city if empty, its force grown to --units units, and keeps the incidents the benchmark creates; "
            "deadlines, stats: only a database "
            "without real records, whose benchmark rows are written afresh",
        )
        deadlines = parser.add_argument_group("bench deadlines")
        deadlines.add_argument("--cases", type=positive_int, help="open cases (default 100000)")
        deadlines.add_argument("--measures", type=positive_int, help="coercive measures (default 5 per case)")
        soak = parser.add_argument_group("bench soak")
        soak.add_argument("--minutes", type=positive_float, help="how long the steady load runs (default 30)")
        soak.add_argument("--seconds", type=positive_int, help="the same in seconds (a short run, e.g. in tests)")

    def handle(self, *args: Any, name: str, json: bool, **options: Any) -> None:
        bench = BENCHMARKS.get(name)
        if bench is None:
            raise CommandError(f"unknown benchmark {name!r}; valid names: {', '.join(sorted(BENCHMARKS))}")
        accepted = inspect.signature(bench).parameters
        kwargs = {}
        for option in BENCH_OPTIONS:
            if options.get(option) is None:
                continue
            if option not in accepted:
                flag = "--" + option.replace("_", "-")
                raise CommandError(f"{flag} does not apply to bench {name}")
            kwargs[option] = options[option]
        try:
            result = bench(**kwargs)
        except BenchError as exc:
            raise CommandError(f"bench {name} failed: {exc}") from exc
        if json:
            self.stdout.write(_dumps(result))
        else:
            self.stdout.write(render_table(result))
        # Printed first: the numbers say what was measured, the failure says what was wrong. A missed
        # target fails the command too, so `make bench` and CI cannot pass over a slow or failing run.
        if result.get("failure"):
            raise CommandError(f"bench {name} failed: {result['failure']}")
        missed = [t["name"] for t in result["targets"] if not t["met"]]
        if missed:
            raise CommandError(f"bench {name}: {len(missed)} target(s) missed: {'; '.join(missed)}")


def _dumps(result: Result) -> str:
    # A module-level helper because `handle` receives the --json flag under the name `json`.
    return json.dumps(result, ensure_ascii=False)
