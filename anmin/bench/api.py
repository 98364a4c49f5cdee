"""`anmin bench api`: 接警 through the HTTP API under load, and how fast the board hears of it.

What is measured and why:

* **create** — `POST /api/v1/incidents` from `concurrency` clients at once (default 20, a busy
  110 hall plus integrations) against a real `anmin serve` (uvicorn, one worker, as deployed), on
  a fresh demo city (with its archive of closed incidents since 1 January last year) in a temporary
  SQLite database unless `--database-url` names another. The calls are shaped like a city's: the
  category mix of the demo's 110 centre, places drawn from grid-cell centres (mostly urban), and no
  `force_new`, so every create runs the repeat-call query (重复报警: same category, open, within
  `REPEAT_CALL_METERS` and `REPEAT_CALL_MINUTES`) as real intake does. A new call is placed away
  from the open calls of its category, as an independent incident is; `REPEAT_SHARE` of the calls
  are repeat calls about an incident just created, which the server must answer 409 with that
  incident as a candidate, and which the client then merges (`merge_into`, 200) as a call-taker
  does. Each request's latency runs from just before it is sent to its full response; throughput is
  the calls handled (created, or detected and merged) over the wall time of the measured run.
  Targets: ≥ 200 calls/s, create p99 ≤ 100 ms, and no errors — every new call answers 201, every
  repeat 409 then 200, in the warm-up too.
* **create_to_board** — a dispatcher's browser session listens on `/ws/live/` as the live board
  does; for each created incident, the time from sending its POST to the board's "received"
  notice for that id. The notice may arrive before the POST's response (it is sent on commit), so
  the POST's send time is the only fair start. Target p99 ≤ 200 ms, and no notice missed.
* **recommend** — 警力推荐 as production runs it, after the demo's force has been grown to a
  city's 1,000 units (`anmin.bench.city`): `recommend(incident, user)` (the scoped units query and
  the ranking) timed in a process of its own on the bench database, for the command centre's
  dispatcher (every unit) and a station commander (the station's units), over the open incidents
  the load created; and `GET /api/v1/incidents/{id}/recommendations` one at a time through the
  server. Target p99 ≤ 100 ms for each.

The clients run in this process on the same machine as the server, so on a small machine they
compete with it for CPU: the numbers are a floor for what the server does alone.
A warm-up of `WARMUP_REQUESTS` calls runs first and is not timed (connection set-up, first
imports and caches of the server), but its errors count.
"""

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import dj_database_url
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from anmin.bench import BenchError, Result, bench_keys, in_own_loop, machine, summarize_ms, target
from anmin.bench.city import FLEET_UNITS

USERNAME = "dispatcher"
PASSWORD = "anmin2026"  # noqa: S105 - the published demo login, see `anmin demo`
WARMUP_REQUESTS = 100
#: 桃城 urban area, where the demo city has grid cells and most calls come from.
URBAN_LAT = (37.70, 37.77)
URBAN_LON = (115.63, 115.72)
SEED = 2026
#: Share of calls that are a second caller about an incident just received (重复报警); a 110
#: centre's repeat calls run at about one in ten, more for traffic accidents.
REPEAT_SHARE = 0.1
#: Farthest a generated call lies from its grid-cell centre: well inside a cell, so it stays in the city.
PLACE_JITTER_DEG = 0.0009

DEMO_TIMEOUT_S = 900
COMMAND_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 30
#: Recommendations timed in-process (per user) and through the API.
RECOMMEND_CALLS = 500
RECOMMEND_HTTP_CALLS = 200
#: How long to wait after the last response for notices still in flight before counting them missed.
NOTICE_GRACE_S = 5.0

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: Last lines of a Python traceback in the server log: "django.db.utils.OperationalError: …".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*$")


@dataclass(slots=True)
class Sample:
    """One call: when it was sent and answered, and what came back. A repeat call is two requests
    (the 409 that names the incident, then the merge); `sent`/`answered` span both, `detected`
    is when the 409 came back."""

    sent: float
    answered: float
    status: int | None
    incident_id: int | None = None
    error: str = ""
    kind: str = "new"
    detected: float | None = None

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(slots=True)
class LoadRun:
    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0


def free_port() -> int:
    """A port nobody listens on now (the OS picks it); the server binds it a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redact(url: str) -> str:
    """The database URL without its password, fit for a result that is printed and kept."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database_vendor(database_url: str | None) -> str:
    if database_url is None:
        return "sqlite"
    try:
        engine = dj_database_url.parse(database_url)["ENGINE"]
    except Exception as exc:  # dj_database_url raises several types for a malformed URL
        raise BenchError(f"cannot parse --database-url: {exc}") from exc
    vendor = engine.rsplit(".", 1)[-1]
    return {"sqlite3": "sqlite", "postgresql_psycopg2": "postgresql"}.get(vendor, vendor)


def child_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of the demo, token and serve subprocesses: everything in a temp dir."""
    env = dict(os.environ)
    env["ANMIN_VAR_DIR"] = str(var_dir)
    # Measured as deployed: DEBUG off (DEBUG wraps every cursor to record queries).
    env["DEBUG"] = "false"
    env["SECRET_KEY"] = secrets.token_urlsafe(32)
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env.update(bench_keys())
    # The demo city's logins carry the published demo password; the server is on loopback only.
    env["ALLOW_DEMO_ACCOUNTS"] = "true"
    # Never the caller's database by accident: the benchmark writes thousands of incidents.
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    # The subprocesses run in the temp dir, so the project must be importable from anywhere.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def anmin(args: list[str], *, env: dict[str, str], cwd: Path, timeout: int, what: str) -> str:
    """Run `python -m anmin.cli ARGS`, return its stdout; a failure stops the bench with its output."""
    command = [sys.executable, "-m", "anmin.cli", *args]
    try:
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took more than {timeout} s (`anmin {' '.join(args)}`)") from exc
    if done.returncode != 0:
        output = tail(done.stderr or done.stdout)
        raise BenchError(f"{what} failed (`anmin {' '.join(args)}` exited {done.returncode}):\n{output}")
    return done.stdout


def django_json(code: str, *, env: dict[str, str], cwd: Path, what: str, timeout: int = COMMAND_TIMEOUT_S) -> Any:
    """Run Django code in a subprocess on the bench database; its last printed line is one JSON value."""
    script = (
        "import json, os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'anmin.settings')\n"
        "import django\ndjango.setup()\n" + code
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took more than {timeout} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{what} failed:\n{tail(done.stderr or done.stdout)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_server(env: dict[str, str], cwd: Path, port: int, log_path: Path, workers: int = 1) -> subprocess.Popen:
    """Start `anmin serve` and wait until it answers HTTP; its output goes to `log_path`."""
    command = [sys.executable, "-m", "anmin.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"`anmin serve` exited with {server.returncode}:\n{tail(read_log(log_path))}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        return server
    stop_server(server)
    raise BenchError(f"`anmin serve` did not answer within {SERVER_START_TIMEOUT_S} s:\n{tail(read_log(log_path))}")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it hangs: never leave it running."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def read_log(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def server_exceptions(log: str) -> dict[str, int]:
    """The exceptions the server logged (the last line of each traceback), with counts."""
    return dict(Counter(line.strip() for line in log.splitlines() if EXCEPTION_LINE.match(line.strip())))


def leaf_categories(categories: list[dict]) -> list[dict]:
    # Calls are taken with a sub-category (four digits) when the code table has them.
    leaves = [c for c in categories if c.get("parent")]
    return leaves or categories


class CallMaker:
    """Calls shaped like a city's 110 traffic, for clients sharing one event loop.

    New calls take the demo's category mix and a grid-cell centre (`places`, or the urban district
    when none are given), placed more than the repeat-call radius away from every call of the same
    category this run has placed in the repeat-call window: two independent incidents, which the
    server must not take for a repeat call. `REPEAT_SHARE` of the calls are a second caller about
    an incident just created, a few dozen metres from it.
    """

    def __init__(
        self,
        categories: list[dict],
        rng: random.Random,
        places: list[list[float]] | None = None,
        repeat_share: float = REPEAT_SHARE,
    ):
        from django.conf import settings

        from anmin.demo.data import CATEGORY_WEIGHTS

        self.categories = categories
        # Codes the demo's weights do not know get the weight of a middling category.
        self.weights = [CATEGORY_WEIGHTS.get(c["code"], 50) for c in categories]
        self.rng = rng
        self.places = places
        self.repeat_share = repeat_share
        self.window_s = settings.REPEAT_CALL_MINUTES * 60
        # Half a radius of margin: the client's distance is not the server's to the last metre.
        self.apart_m = settings.REPEAT_CALL_METERS * 1.5
        self.placed: dict[str, list[tuple[float, float, float]]] = {}
        self.created: list[tuple[int, dict, float]] = []
        #: Incidents closed since they were created: a second caller about one is a new call now.
        self.retired: set[int] = set()

    def _place(self) -> tuple[float, float]:
        if self.places:
            lat, lon = self.rng.choice(self.places)
        else:
            lat, lon = self.rng.uniform(*URBAN_LAT), self.rng.uniform(*URBAN_LON)
        jitter = PLACE_JITTER_DEG
        return round(lat + self.rng.uniform(-jitter, jitter), 6), round(lon + self.rng.uniform(-jitter, jitter), 6)

    def _clear(self, code: str, lat: float, lon: float, now: float) -> bool:
        from anmin.geo.coords import distance_m

        recent = [p for p in self.placed.get(code, ()) if now - p[0] < self.window_s]
        self.placed[code] = recent
        return all(distance_m(lat, lon, plat, plon) > self.apart_m for _, plat, plon in recent)

    def next(self, n: int) -> tuple[str, dict[str, Any], int | None]:
        """("new" or "repeat", payload, the incident a repeat call is about) for call number `n`."""
        now = time.monotonic()
        fresh = [c for c in self.created[-200:] if now - c[2] < self.window_s / 2 and c[0] not in self.retired]
        if fresh and self.rng.random() < self.repeat_share:
            first_id, first, _ = self.rng.choice(fresh)
            payload = dict(first)
            payload["lat"] = round(first["lat"] + self.rng.uniform(-0.0003, 0.0003), 6)
            payload["lon"] = round(first["lon"] + self.rng.uniform(-0.0003, 0.0003), 6)
            # A number of its own per call: a call from a number heard within REPEAT_CALL_MINUTES is
            # itself offered as a repeat call of that number's incident, wherever it is.
            payload["caller_phone"] = f"139{n:08d}"
            payload["description"] = f"压测重复报警 {n}"
            return "repeat", payload, first_id
        for _ in range(1000):
            category = self.rng.choices(self.categories, self.weights)[0]
            lat, lon = self._place()
            if self._clear(category["code"], lat, lon, now):
                break
        else:
            raise BenchError("no free place for a new call: the run has placed more calls than the city holds")
        # Reserved before it is sent: another client must not place a call beside it meanwhile.
        self.placed.setdefault(category["code"], []).append((now, lat, lon))
        payload = {
            "category": category["code"],
            "lat": lat,
            "lon": lon,
            "address": f"压测地址 {n} 号",
            "caller_phone": f"138{n:08d}",
            "description": f"压测警情 {n}",
            "priority": 1 if category.get("serious_violence") else self.rng.choice((2, 3)),
        }
        return "new", payload, None

    def was_created(self, incident_id: int, payload: dict[str, Any]) -> None:
        self.created.append((incident_id, payload, time.monotonic()))

    def retire(self, incident_id: int) -> None:
        """The incident is being closed: no more repeat calls about it."""
        self.retired.add(incident_id)


def describe_failure(status: int, body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
        first = detail[0] if isinstance(detail, list) and detail else {}
        return f"{status} {first.get('code', '')} {first.get('message', '')}".strip()
    except (ValueError, AttributeError, TypeError):
        return f"{status} {body[:200].decode(errors='replace')}"


def repeat_candidates(body: bytes) -> list[int]:
    """The incident ids a 409 repeat_call answer offers to merge into (empty if it offers none)."""
    try:
        detail = json.loads(body)["detail"][0]
        if detail.get("code") != "repeat_call":
            return []
        return [int(c["id"]) for c in detail.get("candidates", [])]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return []


async def post_json(client: aiohttp.ClientSession, path: str, payload: dict[str, Any]) -> tuple[int | None, bytes, str]:
    """(status, body, "") or (None, b"", error) when no answer came."""
    try:
        async with client.post(path, json=payload) as response:
            return response.status, await response.read(), ""
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, b"", f"{type(exc).__name__}: {exc}"


async def one_call(client: aiohttp.ClientSession, calls: CallMaker, n: int, sent: float) -> Sample:
    """Send call `n` as a call-taker would: a new call must be created (201); a repeat call must be
    recognised (409 naming the first incident) and is then merged into it (200)."""
    kind, payload, about = calls.next(n)
    status, body, error = await post_json(client, "/api/v1/incidents", payload)
    answered = time.perf_counter()
    if error:
        return Sample(sent, answered, None, error=error, kind=kind)
    if kind == "repeat" and status == 201 and about in calls.retired:
        # The incident was closed while this caller was on the line: a new incident is right.
        kind = "new"
    if kind == "new":
        if status != 201:
            return Sample(sent, answered, status, error=describe_failure(status, body), kind=kind)
        incident_id = json.loads(body)["id"]
        calls.was_created(incident_id, payload)
        return Sample(sent, answered, 201, incident_id, kind=kind)
    candidates = repeat_candidates(body) if status == 409 else []
    if not candidates:
        error = f"repeat call answered {describe_failure(status, body)}"
        return Sample(sent, answered, status, error=error, kind=kind)
    status, body, error = await post_json(client, "/api/v1/incidents", payload | {"merge_into": candidates[0]})
    done = time.perf_counter()
    if error or status != 200:
        error = error or f"merge answered {describe_failure(status, body)}"
        return Sample(sent, done, status, error=error, kind=kind, detected=answered)
    return Sample(sent, done, 200, candidates[0], kind=kind, detected=answered)


async def load(
    client: aiohttp.ClientSession,
    calls: CallMaker | list[dict],
    *,
    total: int,
    concurrency: int,
    rng: random.Random,
    start_n: int,
    rate: float | None = None,
) -> LoadRun:
    """`concurrency` clients sending calls until `total` have been sent: back to back (the
    server's capacity), or, with `rate`, on a fixed schedule of `rate` calls per second (the
    latency a 110 hall sees at that load). On a schedule, latency runs from the call's planned
    time, so a slow server cannot hide its queue by delaying the clients (coordinated omission).
    `calls` is a CallMaker, or the category list to make one over the urban district."""
    if not isinstance(calls, CallMaker):
        calls = CallMaker(calls, rng)
    run = LoadRun()
    counter = iter(range(start_n, start_n + total))
    begin = time.perf_counter()

    async def client_loop() -> None:
        for n in counter:  # one shared iterator: the clients take the next call number in turn
            if rate:
                planned = begin + (n - start_n) / rate
                delay = planned - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent = planned
            else:
                sent = time.perf_counter()
            run.samples.append(await one_call(client, calls, n, sent))

    wall_start = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    run.wall_s = time.perf_counter() - wall_start
    return run


async def browser_session(base: str, username: str = USERNAME) -> str:
    """Log in (the dispatcher by default) like a browser does (CSRF cookie, form, Referer); return sessionid."""
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as web:
        await web.get("/login/")
        csrf = web.cookies.get("csrftoken")
        if not csrf:
            raise BenchError("GET /login/ set no csrftoken cookie")
        response = await web.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/login/"},
        )
        session = web.cookies.get("sessionid")
        if response.status_code != 302 or not session:
            raise BenchError(f"logging in as {username} failed: POST /login/ answered {response.status_code}")
        return session


async def listen(ws: ClientConnection, arrivals: dict[int, float]) -> None:
    """Record when the board first hears that each incident was received."""
    async for message in ws:
        now = time.perf_counter()
        try:
            event = json.loads(message)
        except ValueError:
            continue
        if event.get("type") == "event" and event.get("kind") == "incident" and event.get("event") == "received":
            arrivals.setdefault(event.get("id"), now)


async def timed_recommendations(client: aiohttp.ClientSession, incident_ids: list[int]) -> dict[str, Any]:
    """GET each incident's recommendations one at a time, as a dispatcher opening the panel does."""
    samples: list[float] = []
    failures: Counter[str] = Counter()
    for incident_id in incident_ids:
        start = time.perf_counter()
        try:
            async with client.get(f"/api/v1/incidents/{incident_id}/recommendations") as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            failures[f"{type(exc).__name__}: {exc}"] += 1
            continue
        if response.status != 200 or not json.loads(body):
            failures[describe_failure(response.status, body)] += 1
            continue
        samples.append(time.perf_counter() - start)
    section: dict[str, Any] = {"requests": len(incident_ids), "errors": sum(failures.values())}
    if samples:
        stats = summarize_ms(samples)
        section |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
    if failures:
        section["error_kinds"] = dict(failures.most_common(10))
    return section


async def drive(
    base: str,
    token: str,
    *,
    requests: int,
    concurrency: int,
    rate: float | None,
    places: list[list[float]] | None = None,
    recommendations: int = RECOMMEND_HTTP_CALLS,
) -> Result:
    """Everything against the running server: categories, the board's WebSocket, warm-up, load,
    then the recommendations for some of the incidents the load created."""
    headers = {"Authorization": f"Bearer {token}"}
    # The load runs on aiohttp: on a 2-core machine the clients share the CPU with the server, and
    # aiohttp spends a fraction of httpx's CPU per request, leaving more of the machine to what is measured.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector, timeout=timeout) as client:
        async with client.get("/api/v1/categories") as response:
            body = await response.read()
        if response.status != 200 or not json.loads(body or b"[]"):
            raise BenchError(f"GET /api/v1/categories answered {response.status}: {body[:200]!r}")
        rng = random.Random(SEED)
        calls = CallMaker(leaf_categories(json.loads(body)), rng, places)

        session = await browser_session(base)
        ws_url = base.replace("http://", "ws://", 1) + "/ws/live/"
        try:
            ws = await connect(
                ws_url, additional_headers={"Cookie": f"sessionid={session}", "Origin": base}, open_timeout=10
            )
        except (InvalidStatus, WebSocketException, OSError) as exc:
            raise BenchError(f"could not open the board's WebSocket {ws_url}: {exc}") from exc
        arrivals: dict[int, float] = {}
        listener = asyncio.create_task(listen(ws, arrivals))
        try:
            warmup = await load(client, calls, total=WARMUP_REQUESTS, concurrency=concurrency, rng=rng, start_n=1)
            measured = await load(
                client,
                calls,
                total=requests,
                concurrency=concurrency,
                rng=rng,
                start_n=WARMUP_REQUESTS + 1,
                rate=rate,
            )
            wanted = {s.incident_id for s in measured.samples if s.kind == "new" and s.incident_id is not None}
            deadline = time.perf_counter() + NOTICE_GRACE_S
            while not wanted.issubset(arrivals) and time.perf_counter() < deadline and not listener.done():
                await asyncio.sleep(0.05)
        finally:
            listener.cancel()
            await ws.close()
        created = sorted(wanted)
        picked = [rng.choice(created) for _ in range(recommendations)] if created else []
        recommend_http = await timed_recommendations(client, picked)
    results = summarize(warmup, measured, arrivals)
    results["recommend_http"] = recommend_http
    return results


def summarize(warmup: LoadRun, measured: LoadRun, arrivals: dict[int, float]) -> Result:
    new = [s for s in measured.samples if s.kind == "new"]
    repeats = [s for s in measured.samples if s.kind == "repeat"]
    ok = [s for s in new if s.ok]
    merged = [s for s in repeats if s.ok]
    failures = Counter(s.error for s in measured.samples if not s.ok)
    # Latency of successful creates only: a fast 500 must not make the p99 look better.
    create: dict[str, Any] = {
        "calls": len(measured.samples),
        "new_calls": len(new),
        "created": len(ok),
        "repeat_calls": len(repeats),
        "merged": len(merged),
        "errors": sum(failures.values()),
    }
    if ok:
        stats = summarize_ms([s.answered - s.sent for s in ok])
        create |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
    if merged:
        # The 409 that names the first incident is what the call-taker waits for; the merge follows.
        detect = summarize_ms([s.detected - s.sent for s in merged if s.detected is not None])
        create["repeat_detect_p99_ms"] = detect["p99_ms"]
    handled = len(ok) + len(merged)
    create["throughput_per_s"] = round(handled / measured.wall_s, 1) if measured.wall_s else 0.0
    create["wall_s"] = round(measured.wall_s, 2)
    if failures:
        create["error_kinds"] = dict(failures.most_common(10))

    latencies = [arrivals[s.incident_id] - s.sent for s in ok if s.incident_id in arrivals]
    board: dict[str, Any] = {"notices": len(latencies), "missed": len(ok) - len(latencies)}
    if latencies:
        stats = summarize_ms(latencies)
        board |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}

    warm_failures = Counter(s.error for s in warmup.samples if not s.ok)
    warm: dict[str, Any] = {"calls": len(warmup.samples), "errors": sum(warm_failures.values())}
    if warm_failures:
        warm["error_kinds"] = dict(warm_failures.most_common(10))
    return {"warmup": warm, "create": create, "create_to_board": board}


def run(
    *,
    requests: int = 2000,
    concurrency: int = 20,
    database_url: str | None = None,
    rate: int | None = None,
    workers: int = 1,
    redis_url: str | None = None,
    units: int = FLEET_UNITS,
) -> Result:
    """Build the demo city in a temp dir (or use `database_url`), grow its force to `units`, serve
    it, load it, time the recommendations, clean up."""
    vendor = database_vendor(database_url)
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-api-"))
    server: subprocess.Popen | None = None
    log_path = tmp / "serve.log"
    log = ""
    try:
        if workers > 1 and not redis_url:
            raise BenchError("--workers > 1 needs --redis-url: the board's notices must cross processes")
        env = child_env(tmp, database_url)
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        token, fleet, places = prepare_city(env, tmp, units=units, places=requests + WARMUP_REQUESTS)
        port = free_port()
        server = start_server(env, tmp, port, log_path, workers)
        results = in_own_loop(
            lambda: drive(
                f"http://127.0.0.1:{port}",
                token,
                requests=requests,
                concurrency=concurrency,
                rate=rate,
                places=places,
            )
        )
        stop_server(server)
        server = None
        results["recommend"] = django_json(
            f"from anmin.bench.city import time_recommend\nprint(json.dumps(time_recommend({RECOMMEND_CALLS})))",
            env=env,
            cwd=tmp,
            what="timing recommend()",
        )
        results["recommend"]["fleet"] = fleet
    finally:
        if server is not None:
            stop_server(server)
        log = read_log(log_path)
        shutil.rmtree(tmp, ignore_errors=True)

    exceptions = server_exceptions(log)
    results["server"] = {"exceptions": exceptions}
    create, board, warm = results["create"], results["create_to_board"], results["warmup"]
    recommend, http = results["recommend"], results["recommend_http"]
    targets = [
        target("throughput ≥ 200 calls/s", "create.throughput_per_s", ">=", 200, create["throughput_per_s"]),
        target("create p99 ≤ 100 ms", "create.p99_ms", "<=", 100, create.get("p99_ms")),
        target("every call answered as expected", "warmup+create.errors", "==", 0, warm["errors"] + create["errors"]),
        target("create-to-board p99 ≤ 200 ms", "create_to_board.p99_ms", "<=", 200, board.get("p99_ms")),
        target("no board notice missed", "create_to_board.missed", "==", 0, board["missed"]),
        target(
            f"recommend() p99 ≤ 100 ms, {fleet['units']:,} units, city",
            "recommend.dispatcher.p99_ms",
            "<=",
            100,
            recommend.get("dispatcher", {}).get("p99_ms"),
        ),
        target(
            "recommend() p99 ≤ 100 ms, station scope",
            "recommend.station.p99_ms",
            "<=",
            100,
            recommend.get("station", {}).get("p99_ms"),
        ),
        target("GET recommendations p99 ≤ 100 ms", "recommend_http.p99_ms", "<=", 100, http.get("p99_ms")),
        target("GET recommendations: no errors", "recommend_http.errors", "==", 0, http["errors"]),
        target("server logged no exception", "server.exceptions", "==", 0, sum(exceptions.values())),
    ]
    return {
        "bench": "api",
        "machine": machine(vendor),
        "params": {
            "requests": requests,
            "concurrency": concurrency,
            "warmup": WARMUP_REQUESTS,
            "repeat_share": REPEAT_SHARE,
            "units": fleet["units"],
            "server": f"anmin serve (uvicorn, {workers} worker{'s' if workers > 1 else ''})",
            "channel_layer": "redis" if redis_url else "in-memory",
            "load": f"paced at {rate} calls/s" if rate else "closed loop (as fast as the server answers)",
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
        },
        "results": results,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }


def prepare_city(
    env: dict[str, str], cwd: Path, *, units: int, places: int, username: str = USERNAME, archive: bool = True
) -> tuple[str, dict[str, int], list[list[float]]]:
    """The demo city with its force grown to `units`: (an API token of `username`, the fleet's
    counts, `places` call places). Without `archive`, no history of closed incidents (a minute
    less to build; only the tests' short runs leave it out)."""
    # The demo command migrates, and builds the city only when there are no organizations yet,
    # so an existing database given with --database-url keeps its data.
    anmin(
        ["demo", "--no-serve", "--days", "0", *([] if archive else ["--no-archive"])],
        env=env,
        cwd=cwd,
        timeout=DEMO_TIMEOUT_S,
        what="building the demo city",
    )
    out = anmin(
        ["token", "create", username, "--name", "bench"],
        env=env,
        cwd=cwd,
        timeout=COMMAND_TIMEOUT_S,
        what=f"creating an API token for {username}",
    )
    lines = out.strip().splitlines()
    if not lines:
        raise BenchError("`anmin token create` printed no token")
    city = django_json(
        "from anmin.bench.city import call_places, grow_fleet\n"
        f"print(json.dumps({{'fleet': grow_fleet({units}), 'places': call_places({places})}}))",
        env=env,
        cwd=cwd,
        what="growing the force and choosing call places",
    )
    return lines[-1].strip(), city["fleet"], city["places"]
