"""`anmin bench deadlines`: the clock scan over a bureau's worth of open cases.

What is measured and why:

* **scan** — `anmin.supervision.scan.scan(now)` over `cases` open cases (default 100,000) with
  `measures` coercive measures (default 5 per case) and about five clocks per case (one case-level,
  four on measures), as the background task runs it: both UPDATEs, the reminders for every changed
  clock (主办侦查员 + the city's and the branch's 法制监督员: three per change), the commit and the
  live notice. The median of `runs` scans (default 5); before each, the changed clocks are put
  back and the reminders deleted (and PostgreSQL vacuumed, as autovacuum would between scans).
  Target: ≤ 2 s on PostgreSQL.
* **steady_scan** — three more scans a minute apart after it: the cost of the every-minute task
  once it has caught up (only the clocks whose threshold fell in that minute change).
* **board** — the supervisor's board (`dashboard.summary`) for a city-wide 法制监督员 over the same
  data: one GROUP BY over the running clocks.

The clocks are spread as a bureau's would be some time after start-up: 55 % stopped (met or
lifted), 31 % green, 5 % yellow, 7 % red, and `CHANGE_SHARE` (2 %) whose colour changes at the
scan's `now` — as many as piled up over an hour or so of a stopped worker, far more than a scan
every minute ever meets (a few dozen), so the numbers are a ceiling for the steady state.

The data is written straight into the tables (bulk inserts, no actions, no audit) in a temporary
SQLite database in a temp dir, or in `--database-url`. A given database is used only if it holds
no cases other than the benchmark's own (organizations with codes starting "99"), which are deleted
and written afresh: the benchmark never writes into a database with real cases.
"""

import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from anmin.bench import BenchError, Result, bench_keys, machine, run_child, target

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: The scan's `now`: a Wednesday in June, no holiday near.
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
#: Share of all clocks whose colour changes at NOW.
CHANGE_SHARE = 0.02
CLOCKS_PER_CASE = 5
BENCH_PREFIX = "99"
BRANCHES, STATIONS, INVESTIGATORS = 4, 5, 10
BATCH = 20_000
CHILD_TIMEOUT_S = 3600
SEED = 2026
TARGET_S = 2.0


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def run(*, cases: int = 100_000, measures: int | None = None, database_url: str | None = None, runs: int = 5) -> Result:
    """Build the data in a child process (a temporary SQLite database unless `database_url`),
    time the scan there, and report."""
    measures = measures if measures is not None else cases * 5
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-deadlines-"))
    try:
        env = dict(os.environ)
        env.update(
            ANMIN_VAR_DIR=str(tmp),
            DEBUG="false",  # DEBUG records every query: memory and time the real scan does not spend
            SECRET_KEY=secrets.token_urlsafe(32),
            **bench_keys(),
            DB_POOL="false",
            DJANGO_SETTINGS_MODULE="anmin.settings",
        )
        # Never the caller's database by accident: only the one named on the command line.
        env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        params = {"cases": cases, "measures": measures, "runs": runs}
        measured = run_child("anmin.bench.deadlines", params, env=env, cwd=tmp, timeout_s=CHILD_TIMEOUT_S)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    scan = measured["scan"]
    targets = [
        target(f"scan of {cases:,} cases ≤ {TARGET_S:g} s", "scan.median_s", "<=", TARGET_S, scan["median_s"]),
        target("every changed clock changed", "scan.changed", "==", measured["data"]["changing"], scan["changed"]),
    ]
    return {
        "bench": "deadlines",
        "machine": machine(measured["vendor"]),
        "params": {
            "cases": cases,
            "measures": measures,
            "runs": runs,
            "now": NOW.isoformat(),
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
        },
        "results": {
            "data": measured["data"],
            "scan": scan,
            "steady_scan": measured["steady_scan"],
            "board": measured["board"],
        },
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }


# —— the child process: Django set up on the benchmark's database ——


def _log(message: str) -> None:
    sys.stderr.write(f"[bench deadlines] {message}\n")
    sys.stderr.flush()


def _uniform(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rng.random()


def _clock_times(rng: random.Random, kind: str) -> tuple[str, datetime, datetime, datetime, datetime | None]:
    """(state, started_at, warn_at, due_at, stopped_at) for a clock of category `kind`."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    if kind == "stopped":
        started = NOW - _uniform(rng, 30 * day, 300 * day)
        due = started + 3 * day
        return "stopped", started, due - 12 * hour, due, started + day
    if kind == "normal":
        warn = NOW + _uniform(rng, hour, 60 * day)
        due = warn + _uniform(rng, hour, 15 * day)
        return "normal", warn - _uniform(rng, day, 30 * day), warn, due, None
    if kind == "due_soon":
        warn, due = NOW - _uniform(rng, hour, 5 * day), NOW + _uniform(rng, hour, 5 * day)
        return "due_soon", warn - 3 * day, warn, due, None
    if kind == "overdue":
        due = NOW - _uniform(rng, hour, 60 * day)
        return "overdue", due - 3 * day, due - 12 * hour, due, None
    # The changing ones: their threshold passed within the last hour.
    if kind == "to_due_soon":
        warn = NOW - _uniform(rng, timedelta(0), hour)
        return "normal", warn - 2 * day, warn, NOW + _uniform(rng, hour, 3 * day), None
    if kind == "to_overdue":
        due = NOW - _uniform(rng, timedelta(seconds=1), hour)
        return "due_soon", due - 3 * day, due - 12 * hour, due, None
    due = NOW - _uniform(rng, timedelta(seconds=1), hour)  # normal → overdue, yellow skipped
    return "normal", due - day, due - _uniform(rng, timedelta(0), timedelta(minutes=5)), due, None


def _categories(total: int) -> list[str]:
    changing = round(total * CHANGE_SHARE)
    to_due_soon, to_overdue = round(changing * 0.6), round(changing * 0.3)
    shares = {"stopped": 0.55, "normal": 0.31, "due_soon": 0.05}
    counts = {kind: int(total * share) for kind, share in shares.items()}
    counts.update(to_due_soon=to_due_soon, to_overdue=to_overdue, skip_yellow=changing - to_due_soon - to_overdue)
    counts["overdue"] = total - sum(counts.values())
    return [kind for kind, n in counts.items() for _ in range(n)]


def _organizations():
    """The benchmark's bureau, branches, stations, investigators and 法制监督员 (kept between runs)."""
    from anmin.org.models import Officer, Organization, Role

    def org(code: str, name: str, kind: str, parent=None) -> Organization:
        found = Organization.objects.filter(code=code).first()
        if found:
            return found
        return Organization.objects.create(code=code, name=name, kind=kind, parent=parent, division_code="990000")

    K = Organization.Kind
    bureau = org(f"{BENCH_PREFIX}0000000000", "基准测试市局", K.BUREAU)
    stations, legal = [], [(bureau, "bench_legal")]
    for b in range(1, BRANCHES + 1):
        branch = org(f"{BENCH_PREFIX}{b:02d}00000000", f"基准分局{b}", K.BRANCH, bureau)
        legal.append((branch, f"bench_legal_{b}"))
        for s in range(1, STATIONS + 1):
            stations.append(org(f"{BENCH_PREFIX}{b:02d}{s:02d}000000", f"基准派出所{b}-{s}", K.STATION, branch))
    for organization, username in legal:
        Officer.objects.get_or_create(
            username=username, defaults={"organization": organization, "role": Role.LEGAL, "password": "!"}
        )
    investigators = {}
    for station in stations:
        for i in range(INVESTIGATORS):
            officer, _ = Officer.objects.get_or_create(
                username=f"bench_{station.code}_{i}",
                defaults={"organization": station, "role": Role.STATION, "password": "!"},
            )
            investigators.setdefault(station.pk, []).append(officer.pk)
    return bureau, stations, investigators


def _wipe(bureau_path: str) -> None:
    """Delete the benchmark's previous cases and everything under them (raw SQL: 10⁶ rows)."""
    from django.db import connection

    from anmin.cases.models import Case

    cases = Case.objects.filter(organization__path__startswith=bureau_path)
    case_ids_sql, params = cases.values("id").query.sql_with_params()
    # Our own SQL, built from the ORM's query for the benchmark's cases; no outside input.
    of_cases = f"case_id IN ({case_ids_sql})"
    of_clocks = f"clock_id IN (SELECT id FROM supervision_clock WHERE {of_cases})"  # noqa: S608
    tables = [
        ("supervision_clocknotice", of_clocks),
        ("supervision_clockextension", of_clocks),
        ("supervision_clock", of_cases),
        ("cases_measure", of_cases),
        ("cases_caseperson", of_cases),
        ("cases_caseevent", of_cases),
        ("cases_approvalrequest", of_cases),
    ]
    with connection.cursor() as cursor:
        for table, where in tables:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608 - our own SQL
    # The cases themselves through the ORM: it also clears any other app's rows pointing at them.
    cases.delete()
    if connection.vendor == "postgresql":
        # A million deleted rows leave bloated tables and indexes that would slow the next run's
        # scan (0.1 s → 0.5 s at 10,000 cases after a 100,000-case run): give them back compactly.
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM FULL supervision_clocknotice, supervision_clock, cases_measure, cases_caseperson, cases_case"
            )


def _build(cases_n: int, measures_n: int) -> dict[str, Any]:
    from django.db import transaction

    from anmin.cases.lifecycle import CaseKind, CaseStatus
    from anmin.cases.models import Case, CasePerson, Measure
    from anmin.supervision.clocks import MEASURE_RULES
    from anmin.supervision.models import Clock, TimeLimitRule

    rng = random.Random(SEED)
    started = time.perf_counter()
    bureau, stations, investigators = _organizations()
    others = Case.objects.exclude(organization__path__startswith=bureau.path)
    if others.exists():
        raise BenchError(
            f"the database holds {others.count()} cases that are not the benchmark's: "
            "give --database-url an empty database (e.g. createdb anmin_bench_dl)"
        )
    _wipe(bureau.path)
    rules = dict(TimeLimitRule.objects.values_list("code", "id"))
    kinds, weights = ("bail", "summons", "detention", "arrest"), (4, 3, 2, 1)

    case_ids: list[int] = []
    person_of: dict[int, int] = {}
    with transaction.atomic():
        for start in range(0, cases_n, BATCH):
            batch = []
            for i in range(start, min(start + BATCH, cases_n)):
                station = stations[i % len(stations)]
                kind = CaseKind.CRIMINAL if i % 10 < 7 else CaseKind.ADMINISTRATIVE
                accepted = NOW - timedelta(days=rng.uniform(0, 180))
                batch.append(
                    Case(
                        number=f"B{i:011d}",
                        kind=kind,
                        title=f"基准案件{i}",
                        status=CaseStatus.ACCEPTED,
                        organization_id=station.pk,
                        lead_investigator_id=rng.choice(investigators[station.pk]),
                        accepted_at=accepted,
                        status_since=accepted,
                    )
                )
            case_ids += [c.pk for c in Case.objects.bulk_create(batch)]
        for start in range(0, len(case_ids), BATCH):
            people = [CasePerson(case_id=cid, role="suspect", name="张三") for cid in case_ids[start : start + BATCH]]
            for person in CasePerson.objects.bulk_create(people):
                person_of[person.case_id] = person.pk
        _log(f"{len(case_ids):,} cases, {len(person_of):,} persons")

        measure_rows: list[tuple[int, int, str]] = []  # (measure id, case id, kind)
        for start in range(0, measures_n, BATCH):
            batch = []
            for j in range(start, min(start + BATCH, measures_n)):
                case_id = case_ids[j % len(case_ids)]
                kind = rng.choices(kinds, weights)[0]
                batch.append(
                    Measure(
                        case_id=case_id,
                        person_id=person_of[case_id],
                        kind=kind,
                        status=Measure.Status.ACTIVE if rng.random() < 0.3 else Measure.Status.ENDED,
                        started_at=NOW - timedelta(days=rng.uniform(0, 180)),
                    )
                )
            measure_rows += [(m.pk, m.case_id, m.kind) for m in Measure.objects.bulk_create(batch)]
        _log(f"{len(measure_rows):,} measures")

        total_clocks = cases_n * CLOCKS_PER_CASE
        categories = _categories(total_clocks)
        rng.shuffle(categories)
        case_rule = {
            CaseKind.CRIMINAL: rules["criminal_filing_review"],
            CaseKind.ADMINISTRATIVE: rules["admin_case_handling"],
        }
        measure_clocks = min(len(measure_rows), total_clocks - cases_n)
        restore: dict[str, list[int]] = {"normal": [], "due_soon": []}
        stopped_n = 0
        specs = [
            (cid, case_rule[CaseKind.CRIMINAL if i % 10 < 7 else CaseKind.ADMINISTRATIVE], None)
            for i, cid in enumerate(case_ids)
        ]
        specs += [(cid, rules[MEASURE_RULES[kind][-1]], mid) for mid, cid, kind in measure_rows[:measure_clocks]]
        for start in range(0, len(specs), BATCH):
            batch, batch_kinds = [], []
            for (case_id, rule_id, measure_id), kind in zip(
                specs[start : start + BATCH], categories[start : start + BATCH], strict=False
            ):
                state, begun, warn, due, stopped = _clock_times(rng, kind)
                batch.append(
                    Clock(
                        case_id=case_id,
                        rule_id=rule_id,
                        measure_id=measure_id,
                        started_at=begun,
                        warn_at=warn,
                        due_at=due,
                        state=state,
                        stopped_at=stopped,
                        stop_reason="done" if stopped else "",
                    )
                )
                batch_kinds.append(kind)
                stopped_n += kind == "stopped"
            for made, kind in zip(Clock.objects.bulk_create(batch), batch_kinds, strict=True):
                if kind in ("to_due_soon", "skip_yellow"):
                    restore["normal"].append(made.pk)
                elif kind == "to_overdue":
                    restore["due_soon"].append(made.pk)
        _log(f"{len(specs):,} clocks")
    return {
        "cases": cases_n,
        "measures": len(measure_rows),
        "clocks": len(specs),
        "running": len(specs) - stopped_n,
        "changing": len(restore["normal"]) + len(restore["due_soon"]),
        "build_s": round(time.perf_counter() - started, 1),
        "_restore": restore,
    }


def _reset(restore: dict[str, list[int]]) -> None:
    """Put the changed clocks back as they were before the scan and delete its reminders."""
    from django.db import connection, transaction

    from anmin.supervision.models import Clock, ClockNotice

    with transaction.atomic():
        for state, ids in restore.items():
            for start in range(0, len(ids), 900):
                Clock.objects.filter(id__in=ids[start : start + 900]).update(state=state, state_changed_at=None)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ClockNotice._meta.db_table}")  # noqa: S608 - a table name
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE supervision_clock, supervision_clocknotice")


def child(params: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from anmin.org.models import Officer
    from anmin.supervision.dashboard import summary
    from anmin.supervision.scan import scan

    call_command("migrate", verbosity=0, interactive=False)
    data = _build(params["cases"], params["measures"])
    restore = data.pop("_restore")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    timings, last = [], None
    for i in range(params["runs"]):
        _reset(restore)
        began = time.perf_counter()
        last = scan(NOW)
        timings.append(time.perf_counter() - began)
        _log(f"scan {i + 1}: {timings[-1]:.3f} s, {len(last.changed):,} changed, {last.notices:,} notices")
    # The steady state: the next scans, a minute apart, find only the clocks whose threshold fell
    # in that minute — the cost of the every-minute task once it has caught up.
    steady, steady_changed = [], 0
    for minute in range(1, 4):
        began = time.perf_counter()
        steady_changed += len(scan(NOW + timedelta(minutes=minute)).changed)
        steady.append(time.perf_counter() - began)
    supervisor = Officer.objects.select_related("organization").get(username="bench_legal")
    board = []
    for _ in range(3):
        began = time.perf_counter()
        rows = summary(supervisor)
        board.append(time.perf_counter() - began)
    return {
        "vendor": connection.vendor,
        "data": data,
        "scan": {
            "median_s": round(statistics.median(timings), 3),
            "min_s": round(min(timings), 3),
            "max_s": round(max(timings), 3),
            "changed": len(last.changed),
            "to_due_soon": last.due_soon,
            "to_overdue": last.overdue,
            "notices": last.notices,
        },
        "steady_scan": {"median_s": round(statistics.median(steady), 4), "changed": steady_changed},
        "board": {"median_s": round(statistics.median(board), 3), "rows": len(rows)},
    }


if __name__ == "__main__":
    try:
        print(json.dumps(child(json.loads(sys.argv[1])), ensure_ascii=False))  # noqa: T201
    except BenchError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
