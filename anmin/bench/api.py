"""`anmin bench api`: 接警 through the HTTP API under load, and how fast the board hears of it.

What is measured and why:

* **create** — `POST /api/v1/incidents` from `concurrency` clients at once (default 20, a busy
  110 hall plus integrations) against a real `anmin serve` (uvicorn, one worker, as deployed), on
  a fresh demo city in a temporary SQLite database unless `--database-url` names another. Each
  request's latency runs from just before it is sent to its full response; throughput is the
  successful creates over the wall time of the measured run. Targets: ≥ 200 req/s, p99 ≤ 100 ms,
  and no errors — every create must answer 201.
* **create_to_board** — a dispatcher's browser session listens on `/ws/live/` as the live board
  does; for each created incident, the time from sending its POST to the board's "received"
  notice for that id. The notice may arrive before the POST's response (it is sent on commit), so
  the POST's send time is the only fair start. Target p99 ≤ 200 ms, and no notice missed.

The clients run in this process on the same machine as the server, so on a small machine they
compete with it for CPU: the numbers are a floor for what the server does alone.
A warm-up of `WARMUP_REQUESTS` creates runs first and is not counted (connection set-up, first
imports and caches of the server).
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

from anmin.bench import BenchError, Result, machine, summarize_ms, target

USERNAME = "dispatcher"
PASSWORD = "anmin2026"  # noqa: S105 - the published demo login, see `anmin demo`
WARMUP_REQUESTS = 100
#: 桃城 urban area, where the demo city has grid cells and most calls come from.
URBAN_LAT = (37.70, 37.77)
URBAN_LON = (115.63, 115.72)
SEED = 2026

DEMO_TIMEOUT_S = 900
COMMAND_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 30
#: How long to wait after the last response for notices still in flight before counting them missed.
NOTICE_GRACE_S = 5.0

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
#: Last lines of a Python traceback in the server log: "django.db.utils.OperationalError: …".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*$")


@dataclass(slots=True)
class Sample:
    """One create request: when it was sent and answered, and what came back."""

    sent: float
    answered: float
    status: int | None
    incident_id: int | None = None
    error: str = ""


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


def incident_payload(rng: random.Random, categories: list[dict], n: int) -> dict[str, Any]:
    category = rng.choice(categories)
    return {
        "category": category["code"],
        "lat": round(rng.uniform(*URBAN_LAT), 6),
        "lon": round(rng.uniform(*URBAN_LON), 6),
        "address": f"桃城区压测路 {n} 号",
        "caller_phone": f"138{rng.randrange(10**8):08d}",
        "description": f"压测警情 {n}",
        "priority": 1 if category.get("serious_violence") else rng.choice((2, 3)),
        # Random points a few hundred metres apart would otherwise be taken as repeat calls (409).
        "force_new": True,
    }


def describe_failure(status: int, body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
        first = detail[0] if isinstance(detail, list) and detail else {}
        return f"{status} {first.get('code', '')} {first.get('message', '')}".strip()
    except (ValueError, AttributeError, TypeError):
        return f"{status} {body[:200].decode(errors='replace')}"


async def load(
    client: aiohttp.ClientSession,
    categories: list[dict],
    *,
    total: int,
    concurrency: int,
    rng: random.Random,
    start_n: int,
    rate: float | None = None,
) -> LoadRun:
    """`concurrency` clients creating incidents until `total` have been sent: back to back (the
    server's capacity), or, with `rate`, on a fixed schedule of `rate` requests per second (the
    latency a 110 hall sees at that load). On a schedule, latency runs from the request's planned
    time, so a slow server cannot hide its queue by delaying the clients (coordinated omission)."""
    run = LoadRun()
    counter = iter(range(start_n, start_n + total))
    begin = time.perf_counter()

    async def client_loop() -> None:
        for n in counter:  # one shared iterator: the clients take the next request number in turn
            payload = incident_payload(rng, categories, n)
            if rate:
                planned = begin + (n - start_n) / rate
                delay = planned - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent = planned
            else:
                sent = time.perf_counter()
            try:
                async with client.post("/api/v1/incidents", json=payload) as response:
                    body = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                run.samples.append(Sample(sent, time.perf_counter(), None, error=f"{type(exc).__name__}: {exc}"))
                continue
            answered = time.perf_counter()
            if response.status == 201:
                run.samples.append(Sample(sent, answered, 201, json.loads(body)["id"]))
            else:
                run.samples.append(
                    Sample(sent, answered, response.status, error=describe_failure(response.status, body))
                )

    wall_start = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    run.wall_s = time.perf_counter() - wall_start
    return run


async def browser_session(base: str) -> str:
    """Log in as the dispatcher like a browser does (CSRF cookie, form, Referer); return sessionid."""
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as web:
        await web.get("/login/")
        csrf = web.cookies.get("csrftoken")
        if not csrf:
            raise BenchError("GET /login/ set no csrftoken cookie")
        response = await web.post(
            "/login/",
            data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/login/"},
        )
        session = web.cookies.get("sessionid")
        if response.status_code != 302 or not session:
            raise BenchError(f"logging in as {USERNAME} failed: POST /login/ answered {response.status_code}")
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


async def drive(base: str, token: str, *, requests: int, concurrency: int, rate: float | None) -> Result:
    """Everything against the running server: categories, the board's WebSocket, warm-up, load."""
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
        categories = leaf_categories(json.loads(body))

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
            rng = random.Random(SEED)
            warmup = await load(client, categories, total=WARMUP_REQUESTS, concurrency=concurrency, rng=rng, start_n=1)
            measured = await load(
                client,
                categories,
                total=requests,
                concurrency=concurrency,
                rng=rng,
                start_n=WARMUP_REQUESTS + 1,
                rate=rate,
            )
            wanted = {s.incident_id for s in measured.samples if s.incident_id is not None}
            deadline = time.perf_counter() + NOTICE_GRACE_S
            while not wanted.issubset(arrivals) and time.perf_counter() < deadline and not listener.done():
                await asyncio.sleep(0.05)
        finally:
            listener.cancel()
            await ws.close()
    return summarize(warmup, measured, arrivals)


def summarize(warmup: LoadRun, measured: LoadRun, arrivals: dict[int, float]) -> Result:
    ok = [s for s in measured.samples if s.status == 201]
    failures = Counter(s.error for s in measured.samples if s.status != 201)
    # Latency of successful creates only: a fast 500 must not make the p99 look better.
    create: dict[str, Any] = {
        "requests": len(measured.samples),
        "created": len(ok),
        "errors": sum(failures.values()),
    }
    if ok:
        stats = summarize_ms([s.answered - s.sent for s in ok])
        create |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
    create["throughput_per_s"] = round(len(ok) / measured.wall_s, 1) if measured.wall_s else 0.0
    create["wall_s"] = round(measured.wall_s, 2)
    if failures:
        create["error_kinds"] = dict(failures.most_common(10))

    latencies = [arrivals[s.incident_id] - s.sent for s in ok if s.incident_id in arrivals]
    board: dict[str, Any] = {"notices": len(latencies), "missed": len(ok) - len(latencies)}
    if latencies:
        stats = summarize_ms(latencies)
        board |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}

    warm_errors = sum(1 for s in warmup.samples if s.status != 201)
    return {
        "warmup": {"requests": len(warmup.samples), "errors": warm_errors},
        "create": create,
        "create_to_board": board,
    }


def run(
    *,
    requests: int = 2000,
    concurrency: int = 20,
    database_url: str | None = None,
    rate: int | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> Result:
    """Build the demo city in a temp dir (or use `database_url`), serve it, load it, clean up."""
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
        # The demo command migrates, and builds the city only when there are no organizations yet,
        # so an existing database given with --database-url keeps its data.
        anmin(
            ["demo", "--no-serve", "--days", "0"],
            env=env,
            cwd=tmp,
            timeout=DEMO_TIMEOUT_S,
            what="building the demo city",
        )
        out = anmin(
            ["token", "create", USERNAME, "--name", "bench"],
            env=env,
            cwd=tmp,
            timeout=COMMAND_TIMEOUT_S,
            what=f"creating an API token for {USERNAME}",
        )
        lines = out.strip().splitlines()
        if not lines:
            raise BenchError("`anmin token create` printed no token")
        token = lines[-1].strip()
        port = free_port()
        server = start_server(env, tmp, port, log_path, workers)
        results = asyncio.run(
            drive(f"http://127.0.0.1:{port}", token, requests=requests, concurrency=concurrency, rate=rate)
        )
    finally:
        if server is not None:
            stop_server(server)
        log = read_log(log_path)
        shutil.rmtree(tmp, ignore_errors=True)

    exceptions = server_exceptions(log)
    if exceptions:
        results["server_exceptions"] = exceptions
    create, board = results["create"], results["create_to_board"]
    targets = [
        target("throughput ≥ 200 req/s", "create.throughput_per_s", ">=", 200, create["throughput_per_s"]),
        target("create p99 ≤ 100 ms", "create.p99_ms", "<=", 100, create.get("p99_ms")),
        target("every create answers 201", "create.errors", "==", 0, create["errors"]),
        target("create-to-board p99 ≤ 200 ms", "create_to_board.p99_ms", "<=", 200, board.get("p99_ms")),
        target("no board notice missed", "create_to_board.missed", "==", 0, board["missed"]),
    ]
    return {
        "bench": "api",
        "machine": machine(vendor),
        "params": {
            "requests": requests,
            "concurrency": concurrency,
            "warmup": WARMUP_REQUESTS,
            "server": f"anmin serve (uvicorn, {workers} worker{'s' if workers > 1 else ''})",
            "channel_layer": "redis" if redis_url else "in-memory",
            "load": f"paced at {rate} req/s" if rate else "closed loop (as fast as the server answers)",
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
        },
        "results": results,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }
