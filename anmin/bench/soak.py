"""`anmin bench soak`: a steady working day, compressed, against a real `anmin serve` — does
anything fail, slow down or grow?

A benchmark of seconds shows capacity; a bureau's worry is the server that answers at nine and
has slowed, leaked or fallen over by noon. The soak runs the mix of a busy 110 centre at a moderate
rate (two cores carry both the server and these clients) for `minutes` (default 30):

* **intake** — `POST /api/v1/incidents`, 1 call/s paced, shaped as in `bench api` (the demo's
  category mix, grid-cell places, 10 % repeat calls detected with 409 and merged, no `force_new`);
* **recommend** and **dispatch** — for each new incident, a dispatcher asks for the
  recommendations and dispatches the first unit (`POST /api/v1/incidents/{id}/dispatch`);
* **unit_status** — each dispatched unit reports 出警, 到场, 处置中, 处置完毕 a few seconds apart,
  then **feedback** (处警反馈), which frees it for the next call;
* **board** — `BOARD_CLIENTS` dispatcher sessions on `/ws/live/` as the live board holds them
  open all day; a closed socket is an error, and the notices each heard are counted;
* **portal** — the public progress query (办件编号 + 手机后四位), 5/s paced;
* **export** — one statistics export a minute (Excel and PDF in turn) by a statistician.

Every request that does not answer as expected (a new call 201, a repeat 409 then 200, a dispatch
or status change 200, a query 200, an export 200 with a workbook or a PDF) is an error; the target
is zero. Each period (a minute; a sixth of the run when it is shorter than six minutes) reports the
requests of each kind, their errors and p99, and the resident memory (RSS) of the server's process
tree at the period's end.

Before the clock starts, one export of each format and a few portal queries warm the server up
(the first PDF loads its libraries and fonts, about 60 MiB once per process); their errors count
in the totals like any other.

**Memory target (flat after warm-up).** The first sixth of the periods (at least one) is warm-up
too: caches fill. The periods after it are split in thirds;
the server's RSS must not grow by more than 10 %: max RSS of the last third ≤ 1.10 × max RSS of
the first third. A leak of a few kilobytes per request shows over thirty minutes; the growth of a
warming cache does not count against it.
"""

import asyncio
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from yarl import URL

from anmin.bench import BenchError, Result, in_own_loop, machine, percentile, target
from anmin.bench.api import (
    REQUEST_TIMEOUT_S,
    SEED,
    CallMaker,
    browser_session,
    child_env,
    database_vendor,
    describe_failure,
    django_json,
    free_port,
    leaf_categories,
    one_call,
    prepare_city,
    read_log,
    redact,
    server_exceptions,
    start_server,
    stop_server,
)
from anmin.bench.city import FLEET_UNITS

INTAKE_PER_S = 1.0
PORTAL_PER_S = 5.0
BOARD_CLIENTS = 5
EXPORTS_EVERY_S = 60.0
#: Seconds between an incident's receipt and its dispatch, and between a unit's reports.
DISPATCH_AFTER_S = 2.0
STEP_EVERY_S = (3.0, 8.0)
STEPS = ("en_route", "on_scene", "handling", "resolved")
EXPORTER = "stats"
PERIOD_S = 60.0
#: Allowed growth of the server's RSS from the first to the last third after warm-up.
RSS_GROWTH_LIMIT = 1.10
#: After the load stops: time for in-flight work to finish before the sockets are checked.
DRAIN_S = 5.0


def period_length(duration_s: float) -> float:
    """A minute, or a sixth of a short run, so that even a short run has six memory samples."""
    return min(PERIOD_S, duration_s / 6)


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc), else None."""
    total = 0
    todo = [pid]
    try:
        while todo:
            current = todo.pop()
            with open(f"/proc/{current}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    except (OSError, ValueError):
        return None
    return total


def memory_growth(samples_kib: list[int]) -> dict[str, Any]:
    """The flat-after-warm-up rule (see the module docstring) over one RSS sample per period."""
    warmup = max(1, len(samples_kib) // 6)
    after = samples_kib[warmup:]
    if len(after) < 2:
        return {"warmup_periods": warmup, "ratio": None, "note": "too few periods to judge growth"}
    third = max(1, len(after) // 3)
    first, last = max(after[:third]), max(after[-third:])
    return {
        "warmup_periods": warmup,
        "first_third_max_mib": round(first / 1024, 1),
        "last_third_max_mib": round(last / 1024, 1),
        "ratio": round(last / first, 3),
    }


@dataclass(slots=True)
class Period:
    """What happened in one period: latencies and errors by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    error_kinds: Counter = field(default_factory=Counter)
    notices: int = 0

    def add(self, kind: str, seconds: float, error: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if error:
            self.errors[kind] += 1
            self.error_kinds[f"{kind}: {error}"[:200]] += 1

    def report(self, index: int, length_s: float, rss: int | None) -> dict[str, Any]:
        kinds = {}
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            kinds[kind] = {
                "requests": len(values),
                "errors": self.errors[kind],
                "p99_ms": round(percentile(ordered, 99) * 1000, 1),
            }
        return {
            "period": index + 1,
            "end_s": round((index + 1) * length_s),
            "requests": sum(len(v) for v in self.latencies.values()),
            "errors": sum(self.errors.values()),
            "board_notices": self.notices,
            "rss_mib": round(rss / 1024, 1) if rss is not None else None,
            "kinds": kinds,
        }


class Soak:
    """The clients of one soak run, sharing one event loop and one record of periods."""

    def __init__(self, base: str, token: str, seeded: dict, places: list[list[float]], duration_s: float, pid: int):
        self.base = base
        self.token = token
        self.queries = seeded["queries"] or []
        self.places = places
        self.duration_s = duration_s
        self.length_s = period_length(duration_s)
        # A short run keeps the day's proportions: its units report faster, so that they cycle
        # within the run rather than in a long drain after it.
        self.pace = min(1.0, self.length_s / PERIOD_S)
        self.pid = pid
        self.rng = random.Random(SEED)
        self.periods: list[Period] = [Period()]
        self.reports: list[dict[str, Any]] = []
        self.rss: list[int] = []
        self.begin = 0.0
        self.stopping = False
        self.tasks: set[asyncio.Task] = set()
        self.socket_errors: Counter = Counter()
        self.conflicts = 0
        self.calls: CallMaker | None = None
        self.warmup: Period | None = None

    # -- bookkeeping

    @property
    def now(self) -> Period:
        return self.periods[-1]

    def record(self, kind: str, started: float, error: str = "") -> None:
        self.now.add(kind, time.perf_counter() - started, error)

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def tick(self) -> None:
        """Close a period every `length_s`: its report, with the server's RSS at that moment."""
        for index in range(round(self.duration_s / self.length_s)):
            await asyncio.sleep(max(0.0, self.begin + (index + 1) * self.length_s - time.perf_counter()))
            rss = rss_kib(self.pid)
            if rss is not None:
                self.rss.append(rss)
            self.reports.append(self.now.report(index, self.length_s, rss))
            self.periods.append(Period())

    async def paced(self, per_s: float, action) -> None:
        """Call `action(n)` on a fixed schedule of `per_s` per second until the run ends; each call
        runs as a task of its own, so a slow answer does not delay the next (no coordinated omission)."""
        n = 0
        while not self.stopping:
            due = self.begin + n / per_s
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.stopping:
                break
            self.spawn(action(n))
            n += 1

    # -- the load

    async def intake(self, api: aiohttp.ClientSession, calls: CallMaker, n: int) -> None:
        sample = await one_call(api, calls, n, time.perf_counter())
        self.now.add("intake", sample.answered - sample.sent, sample.error)
        if sample.ok and sample.kind == "new":
            await asyncio.sleep(DISPATCH_AFTER_S * self.pace)
            await self.dispatch(api, sample.incident_id)

    async def dispatch(self, api: aiohttp.ClientSession, incident_id: int) -> None:
        started = time.perf_counter()
        status, body, error = await get(api, f"/api/v1/incidents/{incident_id}/recommendations")
        units = json.loads(body) if status == 200 else []
        if status != 200 or not units:
            self.record("recommend", started, error or describe_failure(status or 0, body) or "no unit recommended")
            return
        self.record("recommend", started)
        # Two incidents close together may both be offered the same unit; whoever dispatches second
        # is told 409 and takes the next recommended unit, as a dispatcher at the board would.
        for unit in units[:3]:
            started = time.perf_counter()
            unit_id = unit["unit_id"]
            status, body, error = await post(api, f"/api/v1/incidents/{incident_id}/dispatch", {"unit_ids": [unit_id]})
            if status != 409:
                break
            self.conflicts += 1
        if status != 200:
            self.record("dispatch", started, error or describe_failure(status or 0, body))
            return
        self.record("dispatch", started)
        for step in STEPS:
            await asyncio.sleep(self.rng.uniform(*STEP_EVERY_S) * self.pace)
            started = time.perf_counter()
            status, body, error = await post(api, f"/api/v1/units/{unit_id}/status", {"status": step})
            if status != 200:
                self.record("unit_status", started, error or describe_failure(status or 0, body))
                return
            self.record("unit_status", started)
        self.calls.retire(incident_id)
        started = time.perf_counter()
        payload = {"result": "handled", "text": "压测：现场处置完毕"}
        status, body, error = await post(api, f"/api/v1/units/{unit_id}/feedback", payload)
        self.record("feedback", started, "" if status == 200 else error or describe_failure(status or 0, body))

    async def portal(self, web: aiohttp.ClientSession, n: int) -> None:
        number, last4 = self.rng.choice(self.queries)
        started = time.perf_counter()
        status, body, error = await get(web, f"/api/v1/services/status?number={number}&phone_last4={last4}")
        self.record("portal", started, "" if status == 200 else error or describe_failure(status or 0, body))

    async def export(self, web: aiohttp.ClientSession, n: int) -> None:
        fmt = ("xlsx", "pdf")[n % 2]
        period = time.strftime("%Y")
        started = time.perf_counter()
        status, body, error = await get(web, f"/stats/export.{fmt}?metric=incidents&period={period}&compare=yoy")
        magic = {"xlsx": b"PK", "pdf": b"%PDF"}[fmt]
        if not error and (status != 200 or not body.startswith(magic)):
            error = f"{status} {fmt} export answered {body[:60]!r}"
        self.record("export", started, error)

    async def warm_up(self, web: aiohttp.ClientSession) -> None:
        """One export of each format and a few portal queries before the clock starts: the first PDF
        loads its libraries and the CJK fonts (≈60 MiB, once per process), which is start-up, not
        growth. Their errors count all the same, in a period of their own."""
        for n in range(2):
            await self.export(web, n)
        for n in range(5):
            await self.portal(web, n)
        self.warmup = self.periods[-1]
        self.periods.append(Period())

    async def board(self, session: str, index: int) -> None:
        """One board client: hold the socket open all run, count the notices; a close is an error."""
        url = self.base.replace("http://", "ws://", 1) + "/ws/live/"
        headers = {"Cookie": f"sessionid={session}", "Origin": self.base}
        try:
            ws: ClientConnection = await connect(url, additional_headers=headers, open_timeout=10)
        except (InvalidStatus, WebSocketException, OSError) as exc:
            self.socket_errors[f"board {index} could not connect: {exc}"] += 1
            return
        try:
            async for _message in ws:
                self.now.notices += 1
        except ConnectionClosed as exc:
            if not self.stopping:
                self.socket_errors[f"board socket closed: {exc}"] += 1
        finally:
            await ws.close()
        if not self.stopping:
            self.socket_errors["board socket ended during the run"] += 1

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S * 4)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, an IP host
        async with (
            aiohttp.ClientSession(self.base, headers=headers, timeout=timeout) as api,
            aiohttp.ClientSession(self.base, timeout=timeout, cookie_jar=jar) as web,
        ):
            status, body, error = await get(api, "/api/v1/categories")
            if status != 200:
                raise BenchError(f"GET /api/v1/categories answered {error or status}")
            calls = self.calls = CallMaker(leaf_categories(json.loads(body)), self.rng, self.places)
            board_session = await browser_session(self.base)
            export_session = await browser_session(self.base, username=EXPORTER)
            web.cookie_jar.update_cookies({"sessionid": export_session}, URL(self.base))
            boards = [asyncio.create_task(self.board(board_session, i)) for i in range(BOARD_CLIENTS)]
            await self.warm_up(web)
            self.begin = time.perf_counter()
            loops = [
                asyncio.create_task(self.paced(INTAKE_PER_S, lambda n: self.intake(api, calls, n))),
                asyncio.create_task(self.paced(PORTAL_PER_S, lambda n: self.portal(web, n))),
                asyncio.create_task(self.paced(1 / EXPORTS_EVERY_S, lambda n: self.export(web, n))),
            ]
            await self.tick()
            self.stopping = True
            await asyncio.gather(*loops)
            # Units still on a task finish their steps (bounded: four steps of at most 8 s each).
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=DRAIN_S + len(STEPS) * STEP_EVERY_S[1] + REQUEST_TIMEOUT_S)
            for task in boards:
                task.cancel()
            await asyncio.gather(*boards, return_exceptions=True)


async def get(client: aiohttp.ClientSession, path: str) -> tuple[int | None, bytes, str]:
    try:
        async with client.get(path, allow_redirects=False) as response:
            return response.status, await response.read(), ""
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, b"", f"{type(exc).__name__}: {exc}"


async def post(client: aiohttp.ClientSession, path: str, payload: dict[str, Any]) -> tuple[int | None, bytes, str]:
    try:
        async with client.post(path, json=payload, allow_redirects=False) as response:
            return response.status, await response.read(), ""
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, b"", f"{type(exc).__name__}: {exc}"


def totals(soak: Soak) -> dict[str, Any]:
    """Requests, errors and p99 of each kind over the whole run (periods and the drain after it)."""
    latencies: dict[str, list[float]] = {}
    errors: Counter = Counter()
    kinds: Counter = Counter()
    for period in soak.periods:
        for kind, values in period.latencies.items():
            latencies.setdefault(kind, []).extend(values)
        errors.update(period.errors)
        kinds.update(period.error_kinds)
    by_kind = {}
    for kind, values in sorted(latencies.items()):
        ordered = sorted(values)
        by_kind[kind] = {
            "requests": len(values),
            "errors": errors[kind],
            "p50_ms": round(percentile(ordered, 50) * 1000, 1),
            "p99_ms": round(percentile(ordered, 99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
        }
    section: dict[str, Any] = {
        "requests": sum(len(v) for v in latencies.values()),
        "errors": sum(errors.values()),
        "board_notices": sum(p.notices for p in soak.periods),
        "board_socket_errors": sum(soak.socket_errors.values()),
        "dispatch_conflicts_retried": soak.conflicts,
        "kinds": by_kind,
    }
    if kinds or soak.socket_errors:
        section["error_kinds"] = dict((kinds + soak.socket_errors).most_common(10))
    return section


def run(
    *, duration_s: float = 1800, database_url: str | None = None, units: int = FLEET_UNITS, archive: bool = True
) -> Result:
    """Build the city in a temp dir (or use `database_url`), serve it, soak it, judge it."""
    vendor = database_vendor(database_url)
    if duration_s < 6:
        raise BenchError("a soak needs at least 6 seconds (six periods of one second)")
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-soak-"))
    server: subprocess.Popen | None = None
    log_path = tmp / "serve.log"
    try:
        env = child_env(tmp, database_url)
        env.pop("REDIS_URL", None)
        places = int(duration_s * INTAKE_PER_S) + 100
        started = time.perf_counter()
        token, fleet, place_list = prepare_city(env, tmp, units=units, places=min(places, 5000), archive=archive)
        seeded = django_json(
            "from anmin.bench.portal import seed\nprint(json.dumps(seed(clients=20, slots=1, capacity=1)))",
            env=env,
            cwd=tmp,
            what="seeding the portal's applications",
        )
        if not seeded["queries"]:
            raise BenchError("the portal's applications could not be seeded (no service item)")
        setup_s = time.perf_counter() - started
        port = free_port()
        server = start_server(env, tmp, port, log_path)
        soak = Soak(f"http://127.0.0.1:{port}", token, seeded, place_list, duration_s, server.pid)
        in_own_loop(soak.run)
    finally:
        if server is not None:
            stop_server(server)
        log = read_log(log_path)
        shutil.rmtree(tmp, ignore_errors=True)

    exceptions = server_exceptions(log)
    overall = totals(soak)
    memory = memory_growth(soak.rss)
    results: dict[str, Any] = {
        "totals": overall,
        "memory": memory,
        "periods": {f"{r['end_s']} s": summary_line(r) for r in soak.reports},
        "server": {"exceptions": exceptions, "units": fleet["units"], "setup_s": round(setup_s, 1)},
    }
    targets = [
        target("every request answered as expected", "totals.errors", "==", 0, overall["errors"]),
        target("board sockets stayed open", "totals.board_socket_errors", "==", 0, overall["board_socket_errors"]),
        target("server logged no exception", "server.exceptions", "==", 0, sum(exceptions.values())),
        target(
            f"RSS flat after warm-up (last third ≤ {RSS_GROWTH_LIMIT:g} × first third)",
            "memory.ratio",
            "<=",
            RSS_GROWTH_LIMIT,
            memory["ratio"],
        ),
    ]
    return {
        "bench": "soak",
        "machine": machine(vendor),
        "params": {
            "duration_s": duration_s,
            "period_s": round(soak.length_s, 1),
            "intake_per_s": INTAKE_PER_S,
            "portal_per_s": PORTAL_PER_S,
            "board_clients": BOARD_CLIENTS,
            "export_every_s": EXPORTS_EVERY_S,
            "units": fleet["units"],
            "server": "anmin serve (uvicorn, 1 worker)",
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
        },
        "results": results,
        "period_reports": soak.reports,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }


def summary_line(report: dict[str, Any]) -> str:
    """One period in a line: requests and errors, p99 per kind, RSS."""
    kinds = " ".join(f"{k} {v['requests']}/{v['errors']}/{v['p99_ms']:g}" for k, v in report["kinds"].items())
    return f"{report['requests']} req, {report['errors']} err, RSS {report['rss_mib']} MiB | {kinds}"
