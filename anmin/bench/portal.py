"""`anmin bench portal`: the citizen portal under a crowd, against a real `anmin serve`.

What is measured and why:

* **status** — the public progress query `GET /api/v1/services/status?number=…&phone_last4=…`
  (no sign-in: the receipt's 办件编号 and the phone's last four digits) from `clients` concurrent
  clients (default 100), `requests` queries on seeded applications, twice: closed loop (each
  client asks again as soon as it is answered: the server's capacity) and paced at `rate` queries
  per second (default 500: the latency at that load, from each query's planned moment). Targets
  on a 2-core machine: ≥ 500 queries/s closed loop, p99 ≤ 100 ms paced, every answer 200. (A
  closed loop of 100 clients cannot show both: its latency is 100 ÷ throughput by construction.)
  Each run also reports the CPU the server's processes spent per query. If the services app or
  its endpoint is missing, the section says "status endpoint not available" and the portal's own
  booking page (`GET /portal/bookings/offices/<id>/`, signed in) is measured instead.
* **bookings** — every client, signed in as a citizen of its own, posts the booking form for each
  slot of an office (in its own random order) at the same moment: `slots` slots of `capacity`
  seats for `clients` citizens, so most attempts must be refused with 409 "已约满". Afterwards one
  query compares, for every slot, the counter, the live appointment rows and the capacity. Target:
  zero over-bookings and zero counters that disagree with the rows.

Data are written by a seeding subprocess into a fresh temporary SQLite database (WAL) unless
`--database-url` names another; the clients run in this process on the same machine as the server,
so on a small machine they compete with it for CPU: the numbers are a floor.
"""

import asyncio
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from anmin.bench import BenchError, Result, in_own_loop, machine, summarize_ms, target
from anmin.bench.api import (
    COMMAND_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    anmin,
    child_env,
    database_vendor,
    django_json,
    free_port,
    read_log,
    redact,
    server_exceptions,
    start_server,
    stop_server,
)

SEED = 2026
STATUS_APPLICATIONS = 500
WARMUP = 200
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# ------------------------------------------------------------------ seeding (runs in a subprocess)


def seed(*, clients: int, slots: int, capacity: int) -> dict[str, Any]:
    """Build what the bench needs in the configured database; return the ids, sessions and queries."""
    from datetime import time as dtime
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from anmin.bookings.models import Office, Slot
    from anmin.citizens.auth import SESSION_KEY
    from anmin.citizens.models import Citizen
    from anmin.org.models import Organization

    org = Organization.objects.filter(parent__isnull=True).first()
    if org is None:
        org = Organization.objects.create(
            code="139900000000", name="压测市公安局", kind=Organization.Kind.BUREAU, division_code="139900"
        )
    office = Office.objects.create(organization=org, name="压测户政窗口")
    day = timezone.localdate() + timedelta(days=1)
    slot_rows = Slot.objects.bulk_create(
        Slot(office=office, date=day, start=dtime(8 + i // 2, 30 * (i % 2)), end=_end(i), capacity=capacity)
        for i in range(slots)
    )
    stamp = int(time.time()) % 10_000
    now = timezone.now()
    citizens = Citizen.objects.bulk_create(
        Citizen(
            phone=f"166{stamp:04d}{i:04d}",
            name="压测群众",
            id_number=f"99{stamp:04d}{i:012d}",
            verified_at=now,
        )
        for i in range(clients)
    )
    sessions = []
    for citizen in citizens:
        store = SessionStore()
        store[SESSION_KEY] = citizen.pk
        store.create()
        sessions.append(store.session_key)
    return {
        "office": office.pk,
        "slots": [s.pk for s in slot_rows],
        "sessions": sessions,
        "queries": _seed_applications(citizens, org),
    }


def _end(i: int):
    from datetime import time as dtime

    minutes = 8 * 60 + 30 * i + 30
    return dtime(minutes // 60, minutes % 60)


def _seed_applications(citizens, org) -> list[list[str]] | None:
    """Applications for the public status query, or None when the services app is not installed."""
    try:
        from anmin.services.models import Application, ApplicationEvent, ServiceItem
    except ImportError:
        return None
    from django.utils import timezone

    item = ServiceItem.objects.first()
    if item is None:
        return None
    rng = random.Random(SEED)
    now = timezone.now()
    prefix = f"BJ{timezone.localdate():%Y%m%d}"
    start = 900_000 - (int(time.time()) % 1000) * 100  # serials apart from real ones and earlier runs
    rows = Application.objects.bulk_create(
        Application(
            number=f"{prefix}{start + i:06d}",
            citizen=citizens[i % len(citizens)],
            item=item,
            department=org,
            phone_last4=citizens[i % len(citizens)].phone[-4:],
            applicant_name="压测群众",
            status=rng.choice(["submitted", "accepted", "reviewing", "completed"]),
            submitted_at=now,
        )
        for i in range(STATUS_APPLICATIONS)
    )
    ApplicationEvent.objects.bulk_create(ApplicationEvent(application=a, kind="submit", at=now) for a in rows)
    return [[a.number, a.phone_last4] for a in rows]


def verify_counts(office: int) -> dict[str, Any]:
    """For every slot of the office: counter, live rows, capacity (runs in a subprocess)."""
    from django.db.models import Count, Q

    from anmin.bookings.models import Slot

    slots = Slot.objects.filter(office_id=office).annotate(
        live=Count("appointments", filter=~Q(appointments__status="cancelled"))
    )
    rows = [(s.booked, s.live, s.capacity) for s in slots]
    return {
        "slots": len(rows),
        "booked": sum(r[0] for r in rows),
        "rows": sum(r[1] for r in rows),
        "capacity": sum(r[2] for r in rows),
        "overbooked_seats": sum(max(0, r[1] - r[2]) for r in rows),
        "counter_mismatches": sum(1 for r in rows if r[0] != r[1]),
    }


# ------------------------------------------------------------------ load


async def timed_gets(
    client: aiohttp.ClientSession, urls: list[str], concurrency: int, rate: float | None = None
) -> tuple[list, dict, float]:
    """GET every url with `concurrency` clients; (latencies in s, status counts, wall time).

    Closed loop by default: each client sends its next request when the last is answered, which
    measures capacity. With `rate`, request n is due at start + n / rate whatever came before, and
    its latency runs from that planned moment, so a server that falls behind shows its queue in
    the percentiles instead of slowing the clients down (no coordinated omission)."""
    pending = iter(enumerate(urls))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    start = time.perf_counter()

    async def worker() -> None:
        for n, url in pending:  # one shared iterator: the clients take the next request in turn
            if rate:
                sent = start + n / rate
                delay = sent - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                sent = time.perf_counter()
            try:
                async with client.get(url, allow_redirects=False) as response:
                    await response.read()
                    key = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                key = type(exc).__name__
            latencies.append(time.perf_counter() - sent)
            statuses[key] = statuses.get(key, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - start


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and all its descendants (Linux /proc), else None."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        todo = [pid]
        while todo:
            current = todo.pop()
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        return total
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU spent by the server (its process tree) and by this load-generating process."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid
        self.server = cpu_seconds(server_pid) if server_pid else None
        self.client = time.process_time()

    def per_request_ms(self, requests: int) -> dict[str, float | None]:
        server = cpu_seconds(self.server_pid) if self.server_pid else None
        spent = None if server is None or self.server is None else server - self.server
        return {
            "server_cpu_ms_per_request": round(spent * 1000 / requests, 3) if spent is not None else None,
            "client_cpu_ms_per_request": round((time.process_time() - self.client) * 1000 / requests, 3),
        }


def _read_section(latencies: list, statuses: dict, wall: float, cpu: dict) -> dict[str, Any]:
    section: dict[str, Any] = summarize_ms(latencies, wall)
    section["statuses"] = statuses
    section["errors"] = sum(n for k, n in statuses.items() if k != "200")
    section.update(cpu)
    return section


async def measure_reads(
    base: str, seeded: dict, *, requests: int, clients: int, rate: float, cookie: str, server_pid: int | None = None
) -> dict[str, Any]:
    """The status query twice over: closed loop (how many per second the server answers), then
    paced at `rate` per second (the latency citizens see at that load)."""
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, an IP host
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout, cookie_jar=jar) as client:
        queries = seeded["queries"]
        available = False
        if queries:
            number, last4 = queries[0]
            async with client.get(f"/api/v1/services/status?number={number}&phone_last4={last4}") as probe:
                available = probe.status == 200 and probe.content_type == "application/json"
        if available:
            urls = [f"/api/v1/services/status?number={n}&phone_last4={p}" for n, p in queries]
            section: dict[str, Any] = {"endpoint": "/api/v1/services/status"}
        else:
            client.cookie_jar.update_cookies({"sessionid": cookie}, URL(base))
            urls = [f"/portal/bookings/offices/{seeded['office']}/"]
            section = {"endpoint": urls[0], "note": "status endpoint not available"}
        rng = random.Random(SEED)
        _, warm_statuses, _ = await timed_gets(client, [rng.choice(urls) for _ in range(WARMUP)], clients)
        meter = CpuMeter(server_pid)
        closed = await timed_gets(client, [rng.choice(urls) for _ in range(requests)], clients)
        closed_cpu = meter.per_request_ms(requests)
        meter = CpuMeter(server_pid)
        paced = await timed_gets(client, [rng.choice(urls) for _ in range(requests)], clients, rate=rate)
        paced_cpu = meter.per_request_ms(requests)
    # Not timed, but an error in the warm-up is an error all the same.
    section["warmup"] = {"requests": WARMUP, "errors": sum(n for k, n in warm_statuses.items() if k != "200")}
    section["closed_loop"] = _read_section(*closed, closed_cpu)
    section["paced"] = {"offered_per_s": rate, **_read_section(*paced, paced_cpu)}
    section["available"] = available
    return section


async def race_bookings(base: str, seeded: dict, *, clients: int) -> dict[str, Any]:
    """Each client: sign in (its session cookie), fetch the form's CSRF token, then — all released
    together — post a booking for every slot in its own random order."""
    office = seeded["office"]
    start_gate = asyncio.Event()
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S * 4)

    async def one(i: int, session_key: str, ready: asyncio.Event) -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, an IP host
        jar.update_cookies({"sessionid": session_key}, URL(base))
        async with aiohttp.ClientSession(base, cookie_jar=jar, timeout=timeout) as client:
            async with client.get(f"/portal/bookings/offices/{office}/") as response:
                page = await response.text()
            match = CSRF_FIELD.search(page)
            if match is None:
                outcomes["no_form"] = outcomes.get("no_form", 0) + 1
                ready.set()
                return
            token = match[1]
            order = list(seeded["slots"])
            random.Random(SEED + i).shuffle(order)
            ready.set()
            await start_gate.wait()
            for slot in order:
                sent = time.perf_counter()
                try:
                    async with client.post(
                        f"/portal/bookings/offices/{office}/",
                        data={"slot": str(slot), "csrfmiddlewaretoken": token},
                        headers={"Referer": f"{base}/portal/bookings/offices/{office}/"},
                        allow_redirects=False,
                    ) as response:
                        await response.read()
                        key = {302: "booked", 409: "refused_full"}.get(response.status, str(response.status))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    key = type(exc).__name__
                latencies.append(time.perf_counter() - sent)
                outcomes[key] = outcomes.get(key, 0) + 1

    readies = [asyncio.Event() for _ in seeded["sessions"]]
    tasks = [asyncio.create_task(one(i, key, readies[i])) for i, key in enumerate(seeded["sessions"][:clients])]
    await asyncio.gather(*(r.wait() for r in readies[: len(tasks)]))
    began = time.perf_counter()
    start_gate.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    section: dict[str, Any] = {"attempts": len(latencies)}
    section.update(summarize_ms(latencies, wall) if latencies else {})
    section["outcomes"] = outcomes
    return section


# ------------------------------------------------------------------ entry point


def run(
    *,
    clients: int = 100,
    requests: int = 5000,
    slots: int = 5,
    capacity: int = 10,
    database_url: str | None = None,
    workers: int = 1,
    redis_url: str | None = None,
    rate: int = 500,
) -> Result:
    vendor = database_vendor(database_url)
    if vendor not in ("sqlite", "postgresql"):
        raise BenchError(f"bench portal runs on PostgreSQL or SQLite, not {vendor}")
    if workers > 1 and not redis_url:
        raise BenchError("--workers > 1 needs --redis-url: the workers share rate limits and the live channel")
    var_dir = Path(tempfile.mkdtemp(prefix="anmin-bench-portal-"))
    server = None
    try:
        env = child_env(var_dir, database_url)
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        anmin(["migrate", "--noinput"], env=env, cwd=var_dir, timeout=COMMAND_TIMEOUT_S * 5, what="migrate")
        t0 = time.perf_counter()
        seeded = django_json(
            "from anmin.bench.portal import seed\n"
            f"print(json.dumps(seed(clients={clients}, slots={slots}, capacity={capacity})))",
            env=env,
            cwd=var_dir,
            what="seeding",
        )
        seed_s = time.perf_counter() - t0
        port = free_port()
        log_path = var_dir / "serve.log"
        server = start_server(env, var_dir, port, log_path, workers=workers)
        base = f"http://127.0.0.1:{port}"
        reads = in_own_loop(
            lambda: measure_reads(
                base,
                seeded,
                requests=requests,
                clients=clients,
                rate=rate,
                cookie=seeded["sessions"][0],
                server_pid=server.pid,
            )
        )
        bookings = in_own_loop(lambda: race_bookings(base, seeded, clients=clients))
        stop_server(server)
        server = None
        counts = django_json(
            f"from anmin.bench.portal import verify_counts\nprint(json.dumps(verify_counts({seeded['office']})))",
            env=env,
            cwd=var_dir,
            what="verification",
        )
        exceptions = server_exceptions(read_log(log_path))
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(var_dir, ignore_errors=True)

    bookings["verify"] = counts
    seats = slots * capacity
    booked_ok = bookings["outcomes"].get("booked", 0)
    status_name = "status" if reads["available"] else "status (booking page instead)"
    results = {
        "data": {"seed_s": round(seed_s, 2), "applications": len(seeded["queries"] or []), "citizens": clients},
        status_name: reads,
        "bookings": bookings,
        "server": {"exceptions": exceptions or {}},
    }
    closed, paced = reads["closed_loop"], reads["paced"]
    # Every booking attempt must be answered 302 (booked) or 409 (full): anything else failed.
    booking_errors = sum(n for k, n in bookings["outcomes"].items() if k not in ("booked", "refused_full"))
    targets = [
        target(
            "status queries ≥ 500/s",
            f"{status_name}.closed_loop.throughput_per_s",
            ">=",
            500,
            closed.get("throughput_per_s"),
        ),
        target(f"status p99 ≤ 100 ms at {rate}/s", f"{status_name}.paced.p99_ms", "<=", 100, paced.get("p99_ms")),
        target(
            "status errors = 0",
            f"{status_name}.*.errors",
            "==",
            0,
            reads["warmup"]["errors"] + closed["errors"] + paced["errors"],
        ),
        target("booking attempts answered 302 or 409", "bookings.outcomes", "==", 0, booking_errors),
        target("server logged no exception", "server.exceptions", "==", 0, sum(exceptions.values())),
        target("over-booked seats = 0", "bookings.verify.overbooked_seats", "==", 0, counts["overbooked_seats"]),
        target("counters equal rows", "bookings.verify.counter_mismatches", "==", 0, counts["counter_mismatches"]),
        target(
            "every seat taken, no more",
            "bookings.verify.rows",
            "==",
            min(seats, clients * slots),
            counts["rows"],
        ),
    ]
    result: Result = {
        "bench": "portal",
        "machine": machine(vendor),
        "params": {
            "clients": clients,
            "requests": requests,
            "slots": slots,
            "capacity": capacity,
            "rate": rate,
            "workers": workers,
            "server": f"anmin serve (uvicorn, {workers} worker{'s' if workers > 1 else ''})",
            "redis": redact(redis_url) if redis_url else None,
            "database": redact(database_url) if database_url else "temporary SQLite (WAL)",
            "seed": SEED,
        },
        "results": results,
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }
    if counts["overbooked_seats"] or counts["counter_mismatches"] or counts["rows"] != booked_ok:
        result["failure"] = (
            f"bookings disagree: {counts['rows']} appointment rows, {counts['booked']} counted, "
            f"{booked_ok} confirmed to clients, {counts['overbooked_seats']} seats over capacity"
        )
    return result
