"""Two lanes for HTTP requests, so that 110 intake, dispatch and the board never wait behind a report.

With one pool of request threads, 24 concurrent report-pack PDFs took all 8 threads and a
dispatcher's `POST /api/v1/incidents` went from 0.05 s to 23.7 s. Views that build a PDF or a
workbook are marked `@heavy`; the HTTP bridge (anmin.core.http) resolves each request's path in
the event loop, before any thread is involved, and hands heavy requests to a pool of their own
(`HEAVY_WORKERS`, default 2). The ordinary pool then stays free for everything else, and a crowd
of exports queues behind itself.

The heavy lane is a pool of worker processes, not threads: a PDF is built by pure Python (layout,
font subsetting), and on threads of the same process it held the GIL for most of each 5 ms
switch interval, so intake waited on it however many threads it had (`anmin bench lanes`: intake
p50 9.4 s with 8 exports on 2 threads). A worker process has an interpreter of its own and runs
at a lower CPU priority (nice 10), so the operating system gives the request threads the CPU first.
Each worker holds a loaded Django (about 150 MB) and its own database connection; it starts on the
first heavy request.

One user may have `HEAVY_PER_USER` heavy requests in flight (queued or running, default 2); beyond
that the bridge answers 429 with Retry-After at once, so that one impatient officer clicking
"导出" ten times cannot fill the heavy queue for everyone else. The bridge cannot know the user
without the database, so "user" here is the credential the request carries: its session cookie or
its Authorization header (else its address). Two browsers of one officer count separately; that
is the price of deciding in the event loop, and still bounds every client.
"""

import io
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from django.urls import Resolver404, get_resolver

View = TypeVar("View", bound=Callable[..., Any])

#: The attribute `@heavy` sets on a view; functools.wraps copies it through login_required & co.
MARK = "anmin_heavy"


def heavy(view: View) -> View:
    """Mark a view (a Django view or a django-ninja operation) as heavy: it runs on the heavy lane.

    For a ninja operation put it below the `@router.get(...)` line, so the router registers the
    marked function.
    """
    setattr(view, MARK, True)
    return view


def _heavy_methods(callback: Callable) -> frozenset[str] | None:
    """The methods for which a URL pattern's callback is heavy: None for none, ALL for any method."""
    if getattr(callback, MARK, False):
        return ALL
    # A django-ninja path: one view function for all the operations (methods) on that path. Its
    # closure holds the PathView, which lists the operations and the functions they call.
    for cell in getattr(callback, "__closure__", None) or ():
        try:
            operations = cell.cell_contents.operations
        except (AttributeError, ValueError):
            continue
        methods = {m for op in operations if getattr(op.view_func, MARK, False) for m in op.methods}
        return frozenset(methods) if methods else None
    return None


ALL = frozenset({"*"})


@lru_cache(maxsize=8192)
def _lane_of(path: str, method: str) -> bool:
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return False
    methods = _heavy_methods(match.func)
    return methods is not None and (methods is ALL or method in methods)


def is_heavy(path: str, method: str) -> bool:
    """Whether the request for `path` (as routed, without SCRIPT_NAME) runs on the heavy lane.

    Cached: resolving a path costs tens of microseconds in the event loop, a cached answer less
    than one. Paths carry ids, so the cache is bounded and the least recently used are dropped.
    """
    if method == "HEAD":
        method = "GET"
    try:
        return _lane_of(path, method)
    except Exception:  # noqa: BLE001 - a path the resolver chokes on is Django's to answer, on the ordinary lane
        return False


def client_key(scope: dict) -> str:
    """Who is asking, as far as the event loop can tell without the database (see the module doc)."""
    session_cookie = settings.SESSION_COOKIE_NAME.encode("latin-1") + b"="
    session = None
    for raw_name, value in scope.get("headers", ()):
        name = raw_name.lower()  # servers send them lower-case; the ASGI spec asks it, not every client
        if name == b"authorization":  # the API authenticates by token before the session
            return "a:" + value.decode("latin-1")
        if name == b"cookie":
            for part in value.split(b";"):
                part = part.strip()
                if part.startswith(session_cookie):
                    session = "s:" + part[len(session_cookie) :].decode("latin-1")
    if session is not None:
        return session
    client = scope.get("client") or ("", 0)
    return "ip:" + str(client[0])


class PerClientLimit:
    """Heavy requests in flight per client; touched only from the event loop, so no lock."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_flight: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        count = self.in_flight.get(key, 0)
        if count >= self.limit:
            return False
        self.in_flight[key] = count + 1
        return True

    def release(self, key: str) -> None:
        count = self.in_flight.get(key, 0) - 1
        if count > 0:
            self.in_flight[key] = count
        else:
            self.in_flight.pop(key, None)


#: Nice value of the heavy lane's worker processes: below the server's request threads.
HEAVY_NICE = 10
_worker_app = None


def heavy_process_pool(processes: int) -> ProcessPoolExecutor:
    """Worker processes for heavy requests, started fresh (spawn: the server has threads running,
    which a fork would copy in whatever state they are in)."""
    context = multiprocessing.get_context("spawn")
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "anmin.settings")
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_start_worker, initargs=(settings_module,)
    )


def _start_worker(settings_module: str) -> None:
    global _worker_app
    os.nice(HEAVY_NICE)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    _worker_app = WSGIHandler()


def run_heavy(environ: dict, body: bytes, database: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """In a worker process: one request through Django's WSGI handler, its answer whole.

    `database` is the server's database name at the time of the request: the test runner renames it
    (test_…) after the workers may have started, and a worker must read what the server reads.
    """
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    if connection.settings_dict["NAME"] != database:
        connection.close()
        # A PostgreSQL pool opened before the rename (anything at start-up that touched the
        # database) would keep lending connections to the old database: it goes too.
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = database
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    started: list = []

    def start_response(status, headers, exc_info=None):
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]

    result = _worker_app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()  # request_finished: the worker's database connection is tidied as in a thread
    return started[0], list(started[1]), content
