"""`anmin bench lanes`: 110 intake while officers download reports, against a real `anmin serve`.

What is measured and why: 24 concurrent report-pack PDF downloads once pushed a dispatcher's
`POST /api/v1/incidents` from 0.05 s to 23.7 s, because every request shared one pool of threads.
Report views now run on a heavy lane of their own (anmin.core.lanes). Here:

* **intake_alone** — the dispatcher's calls paced at `rate` per second (default 10) with nothing
  else running: the baseline.
* **intake_during_exports** — the same pace while `exporters` clients (default 24, three for each
  of eight demo officers) each download `exports` report packs (the weekly and monthly 警情通报,
  PDF and Excel, in turn). A client told 429 (its officer already has HEAVY_PER_USER reports in
  flight) waits the Retry-After it was given and asks again, as the page's "正在生成…" button does.
  Latency runs from each call's planned moment, so a slow server cannot hide its queue.
* **exports** — downloads completed, 429s met on the way, the time from first asking to the file.

Targets: intake p99 ≤ 100 ms during the exports, every call answered 201, every export a file in
the end (200, the right type), and no exception in the server's log. On a small machine the clients
share the CPU with the server: the numbers are a floor for what the server does alone.
"""

import asyncio
import json
import math
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from anmin.bench import BenchError, Result, in_own_loop, machine, summarize_ms, target
from anmin.bench.api import (
    COMMAND_TIMEOUT_S,
    DEMO_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    anmin,
    child_env,
    free_port,
    read_log,
    server_exceptions,
    start_server,
    stop_server,
)

SEED = 2026
PASSWORD = "anmin2026"  # noqa: S105 - the published demo login, see `anmin demo`
DISPATCHER = "dispatcher"
#: Demo officers who may read statistics; each downloads from `exporters / len(OFFICERS)` clients.
OFFICERS = ("admin", "leader", "legal", "stats", "station", "patrol", "traffic", "jizhou")
PACKS = ("/stats/pack/weekly.pdf", "/stats/pack/monthly.pdf", "/stats/pack/weekly.xlsx", "/stats/pack/monthly.xlsx")
MAGIC = {"pdf": b"%PDF", "xlsx": b"PK"}
EXPORT_TIMEOUT_S = 300
#: 桃城 urban area; calls are placed on a grid REPEAT_SPACING_M apart, each place and category used
#: once, so that none is taken for a repeat call (which answers 409 and asks the call-taker).
URBAN_LAT = (37.70, 37.77)
URBAN_LON = (115.63, 115.72)
REPEAT_SPACING_M = 400
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def call_places(count: int, categories: list[str]) -> list[tuple[str, float, float]]:
    """`count` (category, lat, lon) triples, no two of the same category within the repeat radius."""
    dlat = REPEAT_SPACING_M / 111_000
    dlon = REPEAT_SPACING_M / (111_000 * math.cos(math.radians(sum(URBAN_LAT) / 2)))
    points = [
        (round(URBAN_LAT[0] + i * dlat, 6), round(URBAN_LON[0] + j * dlon, 6))
        for i in range(int((URBAN_LAT[1] - URBAN_LAT[0]) / dlat))
        for j in range(int((URBAN_LON[1] - URBAN_LON[0]) / dlon))
    ]
    random.Random(SEED).shuffle(points)
    places = [(c, lat, lon) for c in categories for lat, lon in points]
    if count > len(places):
        raise BenchError(f"only {len(places)} distinct call places; lower --requests")
    return places[:count]


async def login(base: str, username: str) -> aiohttp.ClientSession:
    """A browser-like session of `username` (CSRF cookie, form, Referer)."""
    # unsafe=True: aiohttp otherwise keeps no cookies from an IP address such as 127.0.0.1.
    jar = aiohttp.CookieJar(unsafe=True)
    session = aiohttp.ClientSession(base, cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=EXPORT_TIMEOUT_S))
    async with session.get("/login/") as response:
        page = await response.text()
    token = CSRF_FIELD.search(page)
    if token is None:
        await session.close()
        raise BenchError("GET /login/ has no CSRF token")
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    async with session.post("/login/", data=form, headers={"Referer": f"{base}/login/"}, allow_redirects=False) as r:
        status = r.status
    if status != 302:
        await session.close()
        raise BenchError(f"logging in as {username} failed: POST /login/ answered {status}")
    return session


async def intake(
    client: aiohttp.ClientSession, places: list[tuple[str, float, float]], rate: float, stop: asyncio.Event | None
) -> dict[str, Any]:
    """Calls paced at `rate`/s from the places given, until they run out or `stop` is set."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    begin = time.perf_counter()
    pending: list[asyncio.Task] = []

    async def one(n: int, place: tuple[str, float, float]) -> None:
        planned = begin + n / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        category, lat, lon = place
        payload = {
            "category": category,
            "lat": lat,
            "lon": lon,
            "address": f"桃城区压测路 {n} 号",
            "caller_phone": f"139{n:08d}",
            "description": f"分道压测警情 {n}",
        }
        try:
            async with client.post("/api/v1/incidents", json=payload) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        if status == 201:
            latencies.append(time.perf_counter() - planned)
        else:
            errors[str(status)] = errors.get(str(status), 0) + 1

    for n, place in enumerate(places):
        if stop is not None and stop.is_set():
            break
        pending.append(asyncio.create_task(one(n, place)))
        await asyncio.sleep(max(0.0, begin + (n + 1) / rate - time.perf_counter()))
    await asyncio.gather(*pending)
    wall = time.perf_counter() - begin
    summary: dict[str, Any] = {"calls": len(latencies) + sum(errors.values()), "created": len(latencies)}
    summary["errors"] = sum(errors.values())
    if latencies:
        stats = summarize_ms(latencies)
        summary |= {k: stats[k] for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}
    summary["wall_s"] = round(wall, 2)
    if errors:
        summary["error_kinds"] = errors
    return summary


async def exporter(session: aiohttp.ClientSession, first: int, exports: int, tally: dict[str, Any]) -> None:
    """Download `exports` packs one after another, waiting out each 429 as the page does."""
    for k in range(exports):
        path = PACKS[(first + k) % len(PACKS)]
        asked = time.perf_counter()
        while True:
            try:
                async with session.get(path) as response:
                    body = await response.read()
                    status, retry = response.status, response.headers.get("Retry-After", "1")
            except (aiohttp.ClientError, TimeoutError) as exc:
                tally["errors"][type(exc).__name__] = tally["errors"].get(type(exc).__name__, 0) + 1
                break
            if status == 429:
                tally["busy_429"] += 1
                await asyncio.sleep(float(retry))
                continue
            if status == 200 and body.startswith(MAGIC[path.rsplit(".", 1)[1]]):
                tally["latencies"].append(time.perf_counter() - asked)
            else:
                tally["errors"][str(status)] = tally["errors"].get(str(status), 0) + 1
            break


async def drive(base: str, token: str, *, exporters: int, exports: int, rate: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(base, headers=headers, timeout=timeout) as client:
        async with client.get("/api/v1/categories") as response:
            categories = json.loads(await response.read() or b"[]")
        leaves = [c["code"] for c in categories if c.get("parent")] or [c["code"] for c in categories]
        if not leaves:
            raise BenchError("GET /api/v1/categories returned no categories")
        places = call_places(int(rate * (30 + EXPORT_TIMEOUT_S)), leaves)
        alone_count = int(rate * 15)
        await intake(client, places[:10], rate, None)  # warm-up: first imports and caches
        alone = await intake(client, places[10 : 10 + alone_count], rate, None)

        sessions = [await login(base, username) for username in OFFICERS]
        tally: dict[str, Any] = {"latencies": [], "busy_429": 0, "errors": {}}
        try:
            stop = asyncio.Event()
            started = time.perf_counter()
            calls = asyncio.create_task(intake(client, places[10 + alone_count :], rate, stop))
            await asyncio.gather(*(exporter(sessions[i % len(sessions)], i, exports, tally) for i in range(exporters)))
            export_wall = time.perf_counter() - started
            stop.set()
            during = await calls
        finally:
            for session in sessions:
                await session.close()
    done: dict[str, Any] = {
        "requested": exporters * exports,
        "downloaded": len(tally["latencies"]),
        "errors": sum(tally["errors"].values()),
        "busy_429": tally["busy_429"],
    }
    if tally["latencies"]:
        stats = summarize_ms(tally["latencies"])
        done |= {k: stats[k] for k in ("p50_ms", "p99_ms", "max_ms")}
    done["wall_s"] = round(export_wall, 2)
    if tally["errors"]:
        done["error_kinds"] = tally["errors"]
    return {"intake_alone": alone, "intake_during_exports": during, "exports": done}


def run(*, exporters: int = 24, exports: int = 2, rate: int = 10, days: int = 7, archive: bool = True) -> Result:
    """Build a demo city with `days` of history (and, unless `archive` is false, the archive the
    packs' 同比 compares with) in a temp dir, serve it, load it, clean up."""
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-lanes-"))
    server: subprocess.Popen | None = None
    log_path = tmp / "serve.log"
    log = ""
    try:
        env = child_env(tmp, None)
        env.pop("REDIS_URL", None)
        anmin(
            ["demo", "--no-serve", "--days", str(days), *([] if archive else ["--no-archive"])],
            env=env,
            cwd=tmp,
            timeout=DEMO_TIMEOUT_S,
            what="building the demo city",
        )
        out = anmin(
            ["token", "create", DISPATCHER, "--name", "bench"],
            env=env,
            cwd=tmp,
            timeout=COMMAND_TIMEOUT_S,
            what="creating an API token",
        )
        token = out.strip().splitlines()[-1].strip()
        port = free_port()
        server = start_server(env, tmp, port, log_path)
        results = in_own_loop(
            lambda: drive(f"http://127.0.0.1:{port}", token, exporters=exporters, exports=exports, rate=rate)
        )
    finally:
        if server is not None:
            stop_server(server)
        log = read_log(log_path)
        shutil.rmtree(tmp, ignore_errors=True)

    exceptions = server_exceptions(log)
    results["server"] = {"exceptions": exceptions}
    during, alone, done = results["intake_during_exports"], results["intake_alone"], results["exports"]
    targets = [
        target(
            "intake p99 ≤ 100 ms during the exports", "intake_during_exports.p99_ms", "<=", 100, during.get("p99_ms")
        ),
        target("every call answered 201", "intake_alone+during.errors", "==", 0, alone["errors"] + during["errors"]),
        target("every export downloaded", "exports.downloaded", "==", done["requested"], done["downloaded"]),
        target("server logged no exception", "server.exceptions", "==", 0, sum(exceptions.values())),
    ]
    return {
        "bench": "lanes",
        "machine": machine("sqlite"),
        "params": {
            "exporters": exporters,
            "exports_each": exports,
            "officers": len(OFFICERS),
            "intake_rate_per_s": rate,
            "demo_days": days,
            "demo_archive": archive,
            "server": "anmin serve (uvicorn, 1 worker)",
        },
        "results": results,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }
