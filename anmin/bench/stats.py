"""`anmin bench stats`: a 同比 report over five years of incidents, and DuckDB on the raw rows.

The question, as a 内勤统计员 asks it at year's end: 2025 against 2024 (同比), valid incidents by
派出所 × 警情类别. What is measured:

* **data** — `incidents` incidents (default 10,000,000 on PostgreSQL, 1,000,000 on SQLite) spread
  over 2021-01-01..2025-12-31 local time across a bench city of `BRANCHES` × `STATIONS` stations
  with `CELLS_PER_STATION` synthetic H3 cells each and the categories of the real code table,
  written straight into the incidents table (PostgreSQL: COPY; SQLite: executemany in large
  transactions with synchronous=OFF), in time order as a live system writes them. Busier and
  quieter stations, seasons, weekdays, hours, a trend per class, 3 % cancelled (not counted).
* **rollups** — `rollups.rebuild()` over all of it: what `migrate` does once when a database with
  years of records is upgraded to a release with statistics (rollup_build_s). Its address space is
  capped at `MEMORY_SHARE` of the memory available; past that (a MemoryError, not the kernel's OOM
  killer on a shared machine) the rollups are rebuilt a year at a time, and the result says so.
* **engine** — `crosstab()` (one GROUP BY over station × category per period, from the month rollup)
  and, for comparison, `report.run` once per class with group_by=station (eight reports): the first
  run after the build, then the median of `runs` runs each on a new database connection (cold) and
  of `runs` runs on one connection (warm). Target: ≤ 1 s.
* **duckdb** — the raw columns (received_at, station_id, class, status) exported from the database
  to Parquet, and the same table computed by DuckDB from them, timed the same way, with the local
  year taken two ways (`DUCKDB_YEARS`): `timezone('Asia/Shanghai', received_at)` row by row, and
  comparisons with the instants the local years begin; the ratio is against the faster. Every table
  must equal the engine's cell by cell (value, baseline, change, change in percent), and the eight
  reports must equal the crosstab: the run fails otherwise.
* **importer** — the rate of `anmin.stats.importer.import_incidents` on `IMPORT_ROWS` rows of a CSV
  into the loaded database (each batch checks its numbers and upserts its rollup contribution),
  after the question was answered; and whether the rollups still count every valid incident.

The data is written in a temporary SQLite database in a temp dir, or in `--database-url`. A given
database is used only if it holds no cases and no incidents other than the benchmark's own (those of
organizations with codes starting "98"), which are deleted and written afresh: the benchmark never
writes into a database with real records, and `rebuild()` rewrites every rollup table.
"""

import csv
import importlib.util
import json
import math
import os
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from anmin.bench import BenchError, Result, bench_keys, machine, target
from anmin.bench.deadlines import redact

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SEED = 2026
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2025, 12, 31)
YEAR = 2025
BENCH_PREFIX = "98"
BRANCHES, STATIONS, CELLS_PER_STATION = 10, 10, 20
#: The bench city's centre: open sea east of Shanghai, where no real city's grid cells lie.
CENTRE = (30.5, 124.5)
DEFAULT_INCIDENTS = {"postgresql": 10_000_000, "sqlite": 1_000_000}
BATCH = 100_000
RUNS = 5
#: Rows imported through `import_incidents` to measure its rate (a twentieth of the data if fewer).
IMPORT_ROWS = 100_000
TARGET_S = 1.0
CHILD_TIMEOUT_S = 6 * 3600
CANCELLED_SHARE = 0.03
#: Share of the memory available at the start of the rollup build that the build may take.
MEMORY_SHARE = 0.6

#: Share of incidents per class, and its change per year from 2021 (电诈 up, 侵财 and 交通 down…).
CLASS_MIX = {
    "help": (0.24, 0.00),
    "dispute": (0.20, 0.02),
    "traffic": (0.15, -0.03),
    "public_order": (0.14, -0.02),
    "criminal": (0.11, -0.04),
    "report": (0.05, 0.05),
    "fire": (0.02, 0.00),
    "other": (0.09, 0.01),
}
#: Incidents per hour of the day, local time (quiet at 4 a.m., busy in the evening).
HOURLY = (5, 4, 3, 2, 2, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 8, 8, 8, 8, 7, 6)


def vendor_of(database_url: str | None) -> str:
    if not database_url:
        return "sqlite"
    import dj_database_url

    engine = dj_database_url.parse(database_url)["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BenchError(f"bench stats runs on PostgreSQL or SQLite, not {engine}")


def run(*, incidents: int | None = None, database_url: str | None = None, runs: int = RUNS) -> Result:
    """Build the data in a child process (a temporary SQLite database unless `database_url`),
    measure there, and report. Progress goes to stderr as it happens: a 10 M run takes a while."""
    vendor = vendor_of(database_url)
    if importlib.util.find_spec("duckdb") is None:
        raise BenchError("bench stats compares with DuckDB: pip install 'anmin[bench]'")
    incidents = incidents or DEFAULT_INCIDENTS[vendor]
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-stats-"))
    try:
        env = dict(os.environ)
        env.update(
            ANMIN_VAR_DIR=str(tmp),
            DEBUG="false",  # DEBUG records every query: memory and time a real report does not spend
            SECRET_KEY=secrets.token_urlsafe(32),
            **bench_keys(),
            DB_POOL="false",  # a new connection per cold run really is new
            DJANGO_SETTINGS_MODULE="anmin.settings",
        )
        # Never the caller's database by accident: only the one named on the command line.
        env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        params = {"incidents": incidents, "runs": runs, "tmp": str(tmp)}
        measured = _run_child(params, env, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    summary = measured["summary"]
    targets = [
        target(f"同比 report, warm, ≤ {TARGET_S:g} s", "summary.engine_s", "<=", TARGET_S, summary["engine_s"]),
        target(
            f"同比 report, cold, ≤ {TARGET_S:g} s", "summary.engine_cold_s", "<=", TARGET_S, summary["engine_cold_s"]
        ),
        target("engine table equals DuckDB's cell by cell", "summary.equal", "==", True, summary["equal"]),
    ]
    result: Result = {
        "bench": "stats",
        "machine": machine(measured["vendor"]),
        "params": {
            "incidents": incidents,
            "runs": runs,
            "question": f"incidents {YEAR} vs {YEAR - 1} (同比), by station × class",
            "days": f"{FIRST_DAY}..{LAST_DAY}",
            "seed": SEED,
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
        },
        "results": measured["results"],
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }
    if not summary["equal"]:
        shown = measured["results"]["duckdb"]["differences"]
        result["failure"] = f"the engine's table differs from DuckDB's in {summary['differing_cells']} cells: {shown}"
    return result


def _run_child(params: dict[str, Any], env: dict[str, str], tmp: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "anmin.bench.stats", json.dumps(params)]
    out_path = tmp / "result.json"
    tail: deque[str] = deque(maxlen=15)
    started = time.monotonic()
    with out_path.open("w") as out:
        child = subprocess.Popen(command, env=env, cwd=tmp, stdout=out, stderr=subprocess.PIPE, text=True)
        for line in child.stderr or ():
            tail.append(line.rstrip())
            sys.stderr.write(line)
            sys.stderr.flush()
            if time.monotonic() - started > CHILD_TIMEOUT_S:
                child.kill()
                raise BenchError(f"the benchmark took more than {CHILD_TIMEOUT_S} s")
        code = child.wait()
    if code != 0:
        raise BenchError(f"the benchmark process exited {code}:\n" + "\n".join(tail))
    return json.loads(out_path.read_text().strip().splitlines()[-1])


# —— the child process: Django set up on the benchmark's database ——


_STARTED = time.monotonic()


def _log(message: str) -> None:
    sys.stderr.write(f"[bench stats {time.monotonic() - _STARTED:7.1f} s] {message}\n")
    sys.stderr.flush()


def _rss_mb() -> int:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _city():
    """The bench bureau, its branches and stations, their grid cells and a 内勤统计员 (kept between runs)."""
    import h3
    from django.conf import settings

    from anmin.geo.models import DEFAULT_TARGET_MINUTES, AreaType, GridCell
    from anmin.org.models import Officer, Organization, Role

    def org(code: str, name: str, kind: str, parent=None) -> Organization:
        found = Organization.objects.filter(code=code).first()
        if found:
            return found
        return Organization.objects.create(code=code, name=name, kind=kind, parent=parent, division_code="980000")

    K = Organization.Kind
    bureau = org(f"{BENCH_PREFIX}0000000000", "统计基准市局", K.BUREAU)
    stations = []
    for b in range(1, BRANCHES + 1):
        branch = org(f"{BENCH_PREFIX}{b:02d}00000000", f"统计基准分局{b}", K.BRANCH, bureau)
        for s in range(1, STATIONS + 1):
            stations.append(org(f"{BENCH_PREFIX}{b:02d}{s:02d}000000", f"统计基准派出所{b}-{s}", K.STATION, branch))
    user, _created = Officer.objects.get_or_create(
        username="bench_stats", defaults={"organization": bureau, "role": Role.STATISTICIAN, "password": "!"}
    )

    wanted = len(stations) * CELLS_PER_STATION
    rings = math.ceil((math.sqrt(12 * wanted - 3) - 3) / 6)  # a disk of k rings holds 3k(k+1)+1 cells
    disk = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, settings.GRID_RESOLUTION), rings))[:wanted]
    # 60 % urban stations, 30 % suburban, 10 % rural: their arrival targets differ (5/10/20 min).
    areas = [AreaType.URBAN] * 6 + [AreaType.SUBURBAN] * 3 + [AreaType.RURAL]
    cells = []
    for index, station in enumerate(stations):
        area = areas[index % len(areas)]
        for h in disk[index * CELLS_PER_STATION : (index + 1) * CELLS_PER_STATION]:
            lat, lon = h3.cell_to_latlng(h)
            cells.append(GridCell(h3=h, jurisdiction=station, area_type=area, lat=lat, lon=lon))
    GridCell.objects.bulk_create(cells, ignore_conflicts=True)
    stored = dict(GridCell.objects.filter(h3__in=[c.h3 for c in cells]).values_list("h3", "jurisdiction_id"))
    if any(stored.get(c.h3) != c.jurisdiction_id for c in cells):
        raise BenchError("the bench city's grid cells belong to other organizations in this database")
    by_station: dict[int, list[tuple[str, str, int, float, float]]] = {}
    for c in cells:
        minutes = DEFAULT_TARGET_MINUTES[c.area_type]
        by_station.setdefault(c.jurisdiction_id, []).append((c.h3, str(c.area_type), minutes, c.lat, c.lon))
    return bureau, stations, by_station, user


class Timestamps:
    """UTC text for arrays of whole seconds since the Unix epoch, from two lookup tables joined in
    numpy (10 M rows × 6 timestamps; per-row datetime formatting alone takes minutes). PostgreSQL gets
    an explicit +00 offset; Django stores naive UTC text ("2025-01-01 00:00:00") in SQLite."""

    def __init__(self, first: date, last: date, suffix: str):
        import numpy as np

        self.base = (first - date(1970, 1, 1)).days - 1
        days = (last - first).days + 4  # local days start 8 hours before the UTC day
        self.days = np.array([(first + timedelta(days=d - 1)).isoformat() + " " for d in range(days)])
        self.clock = np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(86400)])

    def __call__(self, seconds, present=None, null=None) -> list:
        """Text for each second, `null` where `present` is False."""
        import numpy as np

        text = np.strings.add(self.days[seconds // 86400 - self.base], self.clock[seconds % 86400])
        if present is not None:
            text = np.where(present, text, null) if null is not None else np.where(present, text.astype(object), None)
        return text.tolist()


def _day_counts(n: int, rng: random.Random) -> list[tuple[date, int]]:
    """Incidents per local day, summing to n: seasons (summer nights are busy), weekends, growth."""
    days = [FIRST_DAY + timedelta(days=d) for d in range((LAST_DAY - FIRST_DAY).days + 1)]
    growth = {2021: 1.0, 2022: 1.03, 2023: 1.07, 2024: 1.09, 2025: 1.05}
    weights = [
        growth[d.year]
        * (1 + 0.15 * math.sin((d.timetuple().tm_yday - 100) / 365.25 * 2 * math.pi))
        * (1.1 if d.weekday() >= 4 else 1.0)
        * (0.9 + 0.2 * rng.random())
        for d in days
    ]
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    # Largest remainders first, so that the days add up to exactly n.
    for index in sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[index] += 1
    return list(zip(days, counts, strict=True))


def _day_batches(n: int, rng: random.Random) -> Iterator[tuple[int, list[tuple[date, int]]]]:
    """Runs of consecutive days of one year holding about BATCH incidents."""
    run: list[tuple[date, int]] = []
    held = 0
    for day, count in _day_counts(n, rng):
        if run and (run[0][0].year != day.year or held >= BATCH):
            yield run[0][0].year, run
            run, held = [], 0
        run.append((day, count))
        held += count
    if run:
        yield run[0][0].year, run


def _categories() -> dict[str, list[int]]:
    """Class → the ids of its active sub-categories (incidents are recorded under those)."""
    from anmin.incidents.models import Category

    categories: dict[str, list[int]] = {}
    for pk, klass in Category.objects.filter(parent__isnull=False, active=True).values_list("pk", "klass"):
        categories.setdefault(klass, []).append(pk)
    if not categories:
        raise BenchError("the category code table is empty (migration incidents 0003 not applied?)")
    return categories


def _batches(n: int, stations, cells, categories, *, text: bool, extra: tuple = ()) -> Iterator[list]:
    """The incidents in time order, about BATCH at a time, as columns: COLUMNS, then one column per
    value of `extra`. A generator: it must not query the database, which is busy with COPY while it
    runs. With `text`, every value is COPY text (NULL as \\N, UTC with +00), else a
    Python value for sqlite3.

    Columns are drawn with numpy (numpy comes with shapely) and zipped into rows at C speed: a
    Python loop per row made 10 M rows a quarter of an hour of generating before any writing."""
    import numpy as np

    from anmin.incidents.models import Incident

    null = r"\N" if text else None

    def lookup(values: list) -> Any:
        """A table to index with numpy: as text already in text mode (str() per row is slow)."""
        return np.array([str(v) for v in values] if text else values, dtype=object)

    def constant(value, k: int) -> Iterator:
        return repeat(null if value is None else str(value) if text else value, k)

    rng = np.random.default_rng(SEED)
    days_rng = random.Random(SEED)
    zone = ZoneInfo("Asia/Shanghai")
    ts = Timestamps(FIRST_DAY, LAST_DAY, "+00" if text else "")
    # A year's category mix: the class share moved by its trend, split evenly over its categories.
    mix: dict[int, tuple[Any, Any]] = {}
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        pks, weights = [], []
        for klass, (share, trend) in CLASS_MIX.items():
            for pk in categories.get(klass, []):
                pks.append(pk)
                weights.append(share * (1 + trend) ** (year - FIRST_DAY.year) / len(categories[klass]))
        mix[year] = (lookup(pks), np.array(weights) / sum(weights))
    station_ids = lookup([s.pk for s in stations])
    station_p = 0.4 + 1.2 * rng.random(len(stations))  # busy city-centre stations, quiet outskirts
    station_p /= station_p.sum()
    flat = [cell for s in stations for cell in cells[s.pk]]
    first_cell = np.cumsum([0] + [len(cells[s.pk]) for s in stations])[:-1]
    cells_of = np.array([len(cells[s.pk]) for s in stations])
    cell_h3 = np.array([c[0] for c in flat], dtype=object)
    cell_area = np.array([c[1] for c in flat], dtype=object)
    cell_minutes = np.array([c[2] for c in flat])
    cell_minutes_value = lookup([c[2] for c in flat])
    cell_lat, cell_lon = lookup([c[3] for c in flat]), lookup([c[4] for c in flat])
    hour_p = np.array(HOURLY) / sum(HOURLY)
    S = Incident.Status
    number = 0
    for year, run in _day_batches(n, days_rng):
        counts = np.array([c for _d, c in run])
        midnights = np.array([int(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp()) for d, _c in run])
        k = int(counts.sum())
        received = np.repeat(midnights, counts) + rng.choice(24, k, p=hour_p) * 3600 + rng.integers(0, 3600, k)
        received.sort()  # the days are consecutive: one sort puts the whole run in time order
        at = rng.choice(len(stations), k, p=station_p)
        cell = first_cell[at] + rng.integers(0, cells_of[at])
        pks, p = mix[year]
        category = pks[rng.choice(len(pks), k, p=p)]
        roll = rng.random(k)
        cancelled, reported = roll < CANCELLED_SHARE, roll >= 0.05  # between them: 处置完毕, not yet 反馈
        arrived_known = ~cancelled & (roll < 0.95)  # most calls see a unit on scene, ~3 in 4 within the target
        minutes = cell_minutes[cell]
        dispatched = received + 20 + rng.integers(0, 120, k)
        arrived = received + (minutes * 60 * rng.lognormal(-0.25, 0.4, k)).astype(np.int64)
        resolved = np.where(arrived_known, arrived, dispatched) + 600 + rng.integers(0, 3600, k)
        closed = np.where(cancelled, received + 300 + rng.integers(0, 1800, k), resolved + 1800)
        closed_known = cancelled | reported
        status = np.where(cancelled, S.CANCELLED.value, np.where(reported, S.REPORTED.value, S.RESOLVED.value))
        numbers = [f"TJ{i:012d}" for i in range(number + 1, number + k + 1)]
        number += k
        yield [
            numbers,
            ts(received),
            category.tolist(),
            constant(3, k),  # priority
            constant("", k),  # caller_phone
            constant("", k),  # caller_name
            constant("统计基准市某路某号", k),
            cell_lat[cell].tolist(),
            cell_lon[cell].tolist(),
            constant("", k),  # description
            cell_h3[cell].tolist(),
            station_ids[at].tolist(),
            cell_area[cell].tolist(),
            cell_minutes_value[cell].tolist(),
            ts(received + minutes * 60),
            status.tolist(),
            ts(dispatched, ~cancelled, null),
            ts(arrived, arrived_known, null),
            ts(resolved, ~cancelled, null),
            ts(closed, closed_known, null),
            constant(1, k),  # call_count
            constant(None, k),  # received_by
            ts(np.where(closed_known, closed, resolved)),  # updated_at
            *(constant(value, k) for value in extra),
        ]


COLUMNS = (
    "number",
    "received_at",
    "category_id",
    "priority",
    "caller_phone",
    "caller_name",
    "address",
    "lat",
    "lon",
    "description",
    "grid_cell_id",
    "station_id",
    "area_type",
    "target_minutes",
    "arrival_due_at",
    "status",
    "dispatched_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "call_count",
    "received_by_id",
    "updated_at",
)


def _defaults(connection) -> dict[str, Any]:
    """Columns of the incidents table that `_rows` does not fill (added since): their default, as the
    database stores it, or NULL. A new column without either stops the benchmark, naming it."""
    from anmin.incidents.models import Incident

    out: dict[str, Any] = {}
    for field in Incident._meta.concrete_fields:
        if field.primary_key or field.attname in COLUMNS:
            continue
        if field.has_default():
            out[field.column] = field.get_db_prep_value(field.get_default(), connection, prepared=False)
        elif field.null:
            out[field.column] = None
        else:
            raise BenchError(f"bench stats does not know how to fill incidents.{field.name}: add it to COLUMNS")
    return out


def _accumulate(values) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def _check_empty(bureau) -> None:
    """Refuse a database with real records: the benchmark deletes incidents and rebuilds rollups."""
    from anmin.cases.models import Case
    from anmin.incidents.models import Incident

    others = Incident.objects.exclude(station__path__startswith=bureau.path)
    if others.exists():
        raise BenchError(
            f"the database holds {others.count():,} incidents that are not the benchmark's: "
            "give --database-url an empty database (e.g. createdb anmin_bench_stats)"
        )
    if Case.objects.exists():
        raise BenchError(
            "the database holds cases, and the benchmark rebuilds every rollup table: "
            "give --database-url an empty database (e.g. createdb anmin_bench_stats)"
        )


def _load(n: int, stations, cells) -> dict[str, Any]:
    """Delete the previous run's incidents and write n new ones straight into the table."""
    from django.db import connection, transaction

    from anmin.incidents.models import Incident

    table = connection.ops.quote_name(Incident._meta.db_table)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a table name; only the bench's rows are left
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM FULL {table}")
    wiped_s = time.perf_counter() - started
    extra = _defaults(connection)
    names = (*COLUMNS, *extra)
    columns = ", ".join(connection.ops.quote_name(c) for c in names)
    started = time.perf_counter()
    written = 0
    every = max(1, 1_000_000 // BATCH)
    extra_values = tuple(extra.values())
    categories = _categories()
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                # Our values hold no tab, newline or backslash: COPY's text format needs no escaping.
                for number, batch in enumerate(
                    _batches(n, stations, cells, categories, text=True, extra=extra_values), 1
                ):
                    lines = list(map("\t".join, zip(*batch, strict=True)))
                    copy.write("\n".join(lines) + "\n")
                    written += len(lines)
                    if number % every == 0:
                        _log(f"{written:,} incidents written ({time.perf_counter() - started:.0f} s)")
    else:
        raw = connection.connection  # the sqlite3 connection: executemany without Django's per-row wrapping
        raw.execute("PRAGMA synchronous=OFF")
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * len(names))})"  # noqa: S608
        for number, batch in enumerate(_batches(n, stations, cells, categories, text=False, extra=extra_values), 1):
            rows = list(zip(*batch, strict=True))
            with transaction.atomic():
                raw.executemany(sql, rows)
            written += len(rows)
            if number % every == 0:
                _log(f"{written:,} incidents written ({time.perf_counter() - started:.0f} s)")
        raw.execute("PRAGMA synchronous=NORMAL")
    load_s = time.perf_counter() - started
    _log(f"{written:,} incidents written in {load_s:.1f} s")
    vacuum_s = None
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute of a bulk load (statistics, visibility map).
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")
        vacuum_s = round(time.perf_counter() - began, 2)
    valid = Incident.objects.exclude(status=Incident.Status.CANCELLED).count()
    return {
        "incidents": written,
        "valid": valid,
        "cancelled": written - valid,
        "wipe_s": round(wiped_s, 2),
        "generate_s": round(load_s, 2),
        "rows_per_s": round(written / load_s),
        "vacuum_analyze_s": vacuum_s,
    }


def _memory_available() -> int | None:
    """MemAvailable in bytes (Linux), None elsewhere."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _rebuild_within(limit: int | None) -> int:
    """`rollups.rebuild()` with the address space capped at `limit` bytes: past it, a MemoryError in
    this process rather than the kernel's OOM killer choosing among everyone's processes."""
    from anmin.stats import rollups

    if limit is None:
        return rollups.rebuild()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        return rollups.rebuild()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _rollups() -> dict[str, Any]:
    from django.db import DatabaseError, connection

    from anmin.stats import rollups
    from anmin.stats.models import CellDay, CellMonth, IncidentDay, IncidentMonth

    available = _memory_available()
    limit = int(available * MEMORY_SHARE) if available else None
    out: dict[str, Any] = {"memory_limit_gb": round(limit / 2**30, 1) if limit else None}
    began = time.perf_counter()
    try:
        written = _rebuild_within(limit)
        out["rollup_build"] = "rebuild()"
    except (MemoryError, DatabaseError) as exc:
        # libpq reports its own failed allocations as a database error ("out of memory").
        if not isinstance(exc, MemoryError) and "memory" not in str(exc):
            raise
        connection.close()
        # rebuild() holds every rollup row of the whole range in Python before writing: a range
        # at a time keeps what it holds to one year's worth. Same function, same rows.
        failed_s = time.perf_counter() - began
        out.update(rebuild_all_failed_after_s=round(failed_s, 1), rebuild_all_peak_rss_mb=_rss_mb())
        _log(f"rollups.rebuild() ran out of memory after {failed_s:.0f} s: rebuilding a year at a time")
        began = time.perf_counter()
        written = sum(rollups.rebuild(date(y, 1, 1), date(y, 12, 31)) for y in range(FIRST_DAY.year, YEAR + 1))
        out["rollup_build"] = "rebuild(start, end) year by year (whole range: MemoryError)"
    build_s = time.perf_counter() - began
    _log(f"rollups rebuilt in {build_s:.1f} s ({written:,} day rows)")
    analyze_s = None
    if connection.vendor == "postgresql":
        began = time.perf_counter()
        with connection.cursor() as cursor:
            tables = ", ".join(m._meta.db_table for m in (IncidentDay, IncidentMonth, CellDay, CellMonth))
            cursor.execute(f"VACUUM ANALYZE {tables}")
        analyze_s = round(time.perf_counter() - began, 2)
    return {
        "rollup_build_s": round(build_s, 2),
        **out,
        "incident_day_rows": IncidentDay.objects.count(),
        "incident_month_rows": IncidentMonth.objects.count(),
        "cell_day_rows": CellDay.objects.count(),
        "cell_month_rows": CellMonth.objects.count(),
        "vacuum_analyze_s": analyze_s,
        "peak_rss_mb": _rss_mb(),
    }


# —— the question, three ways ——

Table = dict[tuple[str, str], tuple]  # (station id, class) → (value, baseline, change, change_pct)
EMPTY = (0, 0, 0, None)


def _question(klass: str = "") -> dict[str, str]:
    return {"metric": "incidents", "period": str(YEAR), "compare": "yoy", "group_by": "station", "class": klass}


def _engine_crosstab(user) -> Table:
    from anmin.stats import report
    from anmin.stats.crosstab import crosstab

    table = crosstab(report.parse_query(_question(), user), user, rows="station", cols="class")
    return {
        (r, c): (f["value"], f["baseline"], f["change"], f["change_pct"])
        for r, by_col in table["cells"].items()
        for c, f in by_col.items()
    }


def _engine_per_class(user) -> Table:
    from anmin.incidents.models import IncidentClass
    from anmin.stats import report

    out: Table = {}
    for klass in IncidentClass.values:
        answer = report.run(report.parse_query(_question(klass), user), user)
        for row in answer.rows:
            out[(row.key, klass)] = (row.value, row.baseline, row.change, row.change_pct)
    return out


def _timings(answer: Callable[[], Any], runs: int, fresh: Callable[[], None] | None) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        if fresh:
            fresh()
        began = time.perf_counter()
        result = answer()
        times.append(time.perf_counter() - began)
    return times, result


def _measure(answer: Callable[[], Any], runs: int, fresh: Callable[[], None]) -> tuple[dict[str, Any], Any]:
    """First run, then `runs` cold (fresh() before each) and `runs` warm ones."""
    first, result = _timings(answer, 1, None)
    cold, _ = _timings(answer, runs, fresh)
    warm, _ = _timings(answer, runs, None)
    return {
        "first_s": round(first[0], 4),
        "cold_s": round(statistics.median(cold), 4),
        "warm_s": round(statistics.median(warm), 4),
        "warm_max_s": round(max(warm), 4),
    }, result


def _queries(answer: Callable[[], Any]) -> dict[str, Any]:
    """The SQL one answer sends, and the slowest statement (the profile when the target is missed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        answer()
    timed = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    return {
        "queries": len(timed),
        "sql_s": round(sum(float(q["time"]) for q in timed), 4),
        "slowest_query_s": float(timed[0]["time"]) if timed else None,
        "slowest_query": timed[0]["sql"][:400] if timed else None,
    }


def _export(path: Path) -> dict[str, Any]:
    """The raw columns DuckDB needs, straight from the database, as CSV (UTC with an explicit offset)."""
    from django.db import connection

    from anmin.incidents.models import Category, Incident

    incidents = connection.ops.quote_name(Incident._meta.db_table)
    categories = connection.ops.quote_name(Category._meta.db_table)
    began = time.perf_counter()
    if connection.vendor == "postgresql":
        sql = (
            f"COPY (SELECT i.received_at, i.station_id, c.klass, i.status FROM {incidents} i "  # noqa: S608
            f"JOIN {categories} c ON c.id = i.category_id) TO STDOUT (FORMAT csv)"
        )
        with path.open("wb") as out, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for chunk in copy:
                out.write(chunk)
    else:
        with path.open("w", newline="") as out, connection.cursor() as cursor:
            cursor.execute(
                f"SELECT i.received_at || '+00', i.station_id, c.klass, i.status FROM {incidents} i "  # noqa: S608
                f"JOIN {categories} c ON c.id = i.category_id"
            )
            writer = csv.writer(out)
            while rows := cursor.fetchmany(50_000):
                writer.writerows(rows)
    return {"export_s": round(time.perf_counter() - began, 2), "csv_mb": round(path.stat().st_size / 2**20, 1)}


#: The local-time year of each row, two ways: converted row by row (what the question says), and
#: compared with the instants at which the local years begin (what a tuned query does: no time-zone
#: arithmetic per row, and the Parquet row groups outside the two years are skipped).
DUCKDB_YEARS = {
    "timezone": ("year(timezone($zone, received_at))", "TRUE"),
    "ranges": (
        "CASE WHEN received_at >= $current THEN $year ELSE $year - 1 END",
        "received_at >= $previous AND received_at < $following",
    ),
}

DUCKDB_SQL = """
WITH valid AS (
    SELECT station_id, klass, {year} AS y
    FROM read_parquet($path)
    WHERE status <> 'cancelled' AND {where}
), counts AS (
    SELECT station_id, klass,
           count(*) FILTER (WHERE y = $year) AS value,
           count(*) FILTER (WHERE y = $year - 1) AS baseline
    FROM valid
    WHERE y IN ($year, $year - 1)
    GROUP BY station_id, klass
)
SELECT station_id, klass, value, baseline, value - baseline AS change,
       -- change in percent, in hundredths, rounded half away from zero as the engine prints it (四舍五入)
       CASE WHEN baseline = 0 THEN NULL
            ELSE sign(value - baseline) * ((2 * abs(value - baseline) * 10000 + baseline) // (2 * baseline))
       END AS change_hundredths
FROM counts
"""


def _duckdb(tmp: Path, runs: int) -> tuple[dict[str, Any], dict[str, Table]]:
    """Export, convert to Parquet, and time each DUCKDB_YEARS formulation: (figures, tables by name)."""
    import duckdb
    from django.conf import settings

    csv_path, parquet = tmp / "raw.csv", tmp / "raw.parquet"
    out = _export(csv_path)
    began = time.perf_counter()
    with duckdb.connect() as con:
        columns = {"received_at": "TIMESTAMPTZ", "station_id": "INTEGER", "klass": "VARCHAR", "status": "VARCHAR"}
        con.read_csv(str(csv_path), header=False, columns=columns).write_parquet(str(parquet))
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    csv_path.unlink()
    out.update(parquet_s=round(time.perf_counter() - began, 2), parquet_mb=round(parquet.stat().st_size / 2**20, 1))
    out.update(version=duckdb.__version__, threads=threads)
    zone = ZoneInfo(settings.TIME_ZONE)
    params = {
        "zone": settings.TIME_ZONE,
        "path": str(parquet),
        "year": YEAR,
        "previous": datetime(YEAR - 1, 1, 1, tzinfo=zone),
        "current": datetime(YEAR, 1, 1, tzinfo=zone),
        "following": datetime(YEAR + 1, 1, 1, tzinfo=zone),
    }
    holder: dict[str, Any] = {"con": duckdb.connect()}

    def fresh() -> None:
        holder["con"].close()
        holder["con"] = duckdb.connect()

    tables: dict[str, Table] = {}
    for name, (year, where) in DUCKDB_YEARS.items():
        sql = DUCKDB_SQL.format(year=year, where=where)  # our own fragments; every value is a parameter
        used = {k: v for k, v in params.items() if f"${k}" in sql}

        def answer(sql=sql, used=used) -> Table:
            rows = holder["con"].execute(sql, used).fetchall()
            return {
                (str(s), k): (value, base, change, None if pct is None else pct / 100)
                for s, k, value, base, change, pct in rows
            }

        timing, tables[name] = _measure(answer, runs, fresh)
        out.update({f"{name}_{key}": value for key, value in timing.items()})
    holder["con"].close()
    return out, tables


def _differences(a: Table, b: Table) -> list[str]:
    return [
        f"station {key[0]} {key[1]}: {a.get(key, EMPTY)} ≠ {b.get(key, EMPTY)}"
        for key in sorted(a.keys() | b.keys())
        if a.get(key, EMPTY) != b.get(key, EMPTY)
    ]


def _importer(tmp: Path, cells, n: int) -> dict[str, Any]:
    """The import rate of `import_incidents` for n rows of a CSV as an old system exports it (local
    times, category codes, coordinates at the bench city's cell centres), into the loaded database:
    every batch is checked against 10 M existing numbers and upserts its rollup contribution."""
    try:
        from anmin.stats.importer import import_incidents
    except ImportError:
        return {"skipped": "importer not available (anmin.stats.importer.import_incidents)"}
    from django.db.models import Sum

    from anmin.incidents.models import Category, Incident
    from anmin.stats.models import IncidentMonth

    rng = random.Random(SEED + 1)
    codes = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    places = [(lat, lon) for station_cells in cells.values() for _h, _a, _m, lat, lon in station_cells]
    start = datetime.combine(FIRST_DAY, datetime.min.time())
    span = ((LAST_DAY - FIRST_DAY).days + 1) * 86400
    path = tmp / "import.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "received_at", "category", "lat", "lon", "address", "description", "priority"])
        for i in range(n):
            lat, lon = rng.choice(places)
            received = start + timedelta(seconds=rng.randrange(span))
            writer.writerow(
                [f"IM{i:012d}", received.isoformat(sep=" "), rng.choice(codes), lat, lon, "统计基准市某路某号", "", 3]
            )
    _log(f"importing {n:,} incidents with the importer")
    result = import_incidents(path, report_path=tmp / "import.rejected.csv")
    valid = Incident.objects.exclude(status=Incident.Status.CANCELLED).count()
    rolled = IncidentMonth.objects.aggregate(total=Sum("n"))["total"] or 0
    return {
        "rows": result.read,
        "imported": result.imported,
        "rejected_rows": result.rejected_rows,
        "seconds": round(result.seconds, 2),
        "rate_per_s": round(result.rate),
        "rollups_follow": rolled == valid,
    }


def child(params: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    _log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    runs, tmp = params["runs"], Path(params["tmp"])
    bureau, stations, cells, user = _city()
    _check_empty(bureau)
    _log("bench city ready")
    data = _load(params["incidents"], stations, cells)
    data.update(
        stations=len(stations),
        branches=BRANCHES,
        cells=sum(len(c) for c in cells.values()),
        peak_rss_mb=_rss_mb(),
    )
    built = _rollups()
    load_average = round(os.getloadavg()[0], 2)  # other work on the machine skews every number below

    crosstab_timing, engine_table = _measure(lambda: _engine_crosstab(user), runs, connection.close)
    crosstab_timing.update(_queries(lambda: _engine_crosstab(user)))
    stations_n = len({r for r, _c in engine_table})
    crosstab_timing.update(rows=stations_n, cols=len({c for _r, c in engine_table}), cells=len(engine_table))
    _log(f"engine (crosstab): cold {crosstab_timing['cold_s']:.3f} s, warm {crosstab_timing['warm_s']:.3f} s")
    per_class_timing, per_class_table = _measure(lambda: _engine_per_class(user), runs, connection.close)
    per_class_timing.update(_queries(lambda: _engine_per_class(user)))
    per_class_diff = _differences(engine_table, per_class_table)
    per_class_timing["equal_to_crosstab"] = not per_class_diff
    _log(f"engine (8 reports): cold {per_class_timing['cold_s']:.3f} s, warm {per_class_timing['warm_s']:.3f} s")

    duck, duck_tables = _duckdb(tmp, runs)
    differences = [
        f"duckdb ({name}) vs engine: {d}"
        for name, table in duck_tables.items()
        for d in _differences(engine_table, table)
    ]
    differences += [f"8 reports vs crosstab: {d}" for d in per_class_diff]
    best = min(DUCKDB_YEARS, key=lambda name: duck[f"{name}_warm_s"])
    duck.update(
        cells_compared=len(engine_table.keys() | duck_tables["timezone"].keys()),
        equal=not differences,
        differing_cells=len(differences),
        differences=differences[:10],
        fastest=best,
        ratio=round(crosstab_timing["warm_s"] / duck[f"{best}_warm_s"], 3),
    )
    _log(
        f"duckdb: timezone() {duck['timezone_warm_s']:.3f} s, ranges {duck['ranges_warm_s']:.3f} s (warm); "
        f"equal: {not differences}"
    )
    total = {"value": sum(v[0] for v in engine_table.values()), "baseline": sum(v[1] for v in engine_table.values())}
    summary = {
        "engine_s": crosstab_timing["warm_s"],
        "engine_cold_s": crosstab_timing["cold_s"],
        "duckdb_s": duck[f"{best}_warm_s"],
        "duckdb_timezone_s": duck["timezone_warm_s"],
        "ratio": duck["ratio"],
        "equal": not differences,
        "differing_cells": len(differences),
        "rollup_build_s": built["rollup_build_s"],
        "generate_s": data["generate_s"],
        f"incidents_{YEAR}": total["value"],
        f"incidents_{YEAR - 1}": total["baseline"],
        "load_average": load_average,
    }
    # Last: the imported rows join the data, the question was answered before.
    imported = _importer(tmp, cells, min(IMPORT_ROWS, max(500, params["incidents"] // 20)))
    return {
        "vendor": connection.vendor,
        "summary": summary,
        "results": {
            "summary": summary,
            "data": data,
            "rollups": built,
            "engine": crosstab_timing,
            "engine_8_reports": per_class_timing,
            "duckdb": duck,
            "importer": imported,
        },
    }


if __name__ == "__main__":
    try:
        print(json.dumps(child(json.loads(sys.argv[1])), ensure_ascii=False))  # noqa: T201
    except BenchError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
