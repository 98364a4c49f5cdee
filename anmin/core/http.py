"""HTTP requests through Django's WSGI handler on a fixed pool of threads, one hand-off each.

Django's own ASGI handler runs every sync middleware in a thread hop of its own (about 16 per
request here), starts a new thread for each request and so a new database connection: a request
that needs 1 ms of Python cost 11 ms of CPU. Generic ASGI→WSGI bridges (a2wsgi) cross back to the
event loop for every message the application sends, so a worker thread waits on the loop two or
three times a request, and with the GIL that cost about as much as the request itself.

Here the event loop reads the request body, builds a WSGI environ and hands the whole request to a
pool thread once. The thread runs Django (signals, middleware, view, `close()` with
`request_finished`, so per-thread database connections are kept and closed as under any threaded
WSGI server) and returns the status, the headers and the body. A body larger than
`BUFFER_BYTES` is sent in batches, each produced by whichever pool thread is free, so a slow
client holds no thread: right for content already in memory and for a `FileResponse` (file
reads). Any other streaming response (a generator, which may read the database as it goes, on
the connection of the thread that started it) is produced whole in its own thread.

Before any of that, the event loop enforces MAX_REQUEST_MB: a request whose Content-Length is
larger, or whose body grows larger while it arrives, is answered 413 at once, before the rest is
read or spooled (an anonymous client once streamed 1.5 GB at a GET-only route and 1.1 GB of it was
spooled to disk before the 405). And it picks the lane: views marked `@heavy` (PDF and Excel
exports) run on a pool of their own, see anmin.core.lanes.
"""

import asyncio
import contextvars
import io
import json
import logging
import math
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_noop

from anmin.core import lanes

log = logging.getLogger(__name__)

#: A response up to this size is sent in one message; beyond it, in batches of this size.
BUFFER_BYTES = 256 * 1024
#: Retry-After of a heavy request refused because the client already has its share in flight:
#: about the time a report pack takes to build.
RETRY_AFTER_S = 5
#: Answers made in the event loop, translated there for the request's language (see `_message`).
TOO_LARGE = gettext_noop("请求内容过大，不能超过 %(mb)s MB")
BUSY = gettext_noop("报表正在生成，请稍候…")


class Disconnected(Exception):
    """The client went away before its request body had arrived."""


class TooLarge(Exception):
    """The request body is (or announces itself) larger than MAX_REQUEST_MB."""


def declared_length(scope: dict) -> int | None:
    """The Content-Length header as a number; None when absent. A malformed one raises ValueError."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():  # int() would also take "+5", " 5" and "1_0"
                raise ValueError(value)
            return int(value)
    return None


async def read_body(receive, limit: int) -> Any:
    """The request body as a file: in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then on disk.

    Raises TooLarge as soon as more than `limit` bytes have arrived, before they are written: a
    client that does not announce its length (chunked) is counted as it sends.
    """
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Disconnected
            if chunk := message.get("body"):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                body.write(chunk)
            if not message.get("more_body", False):
                break
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def max_request_bytes() -> int:
    return settings.MAX_REQUEST_MB * 1024 * 1024


def _message(scope: dict, text: str, **params: Any) -> str:
    """`text` translated into the language the request asks for (cookie, then Accept-Language)."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.utils import translation

    request = WSGIRequest(build_environ(scope, io.BytesIO()))
    with translation.override(translation.get_language_from_request(request)):
        return translation.gettext(text) % params


def refusal(scope: dict, code: str, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A short answer made in the event loop: JSON as the API answers errors, plain text elsewhere."""
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": [{"field": None, "message": message, "code": code}]}, ensure_ascii=False)
        content_type = b"application/json"
    else:
        body = message + "\n"
        content_type = b"text/plain; charset=utf-8"
    encoded = body.encode("utf-8")
    headers = [(b"content-type", content_type), (b"content-length", str(len(encoded)).encode("latin-1"))]
    return headers, encoded


async def answer(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def build_environ(scope: dict, body) -> dict[str, Any]:
    """PEP 3333 environ for an ASGI HTTP scope (paths as latin-1 strings of their UTF-8 bytes)."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":
            key = name
        else:
            key = "HTTP_" + name
        # Repeated headers are joined, as HTTP allows (cookies with "; ", the rest with ",").
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


def _take(chunks: Iterator[bytes], limit: float) -> tuple[list[bytes], bool]:
    """Chunks from the iterator up to about `limit` bytes; (chunks, whether it is exhausted)."""
    taken: list[bytes] = []
    size = 0
    for chunk in chunks:
        if chunk:
            taken.append(chunk)
            size += len(chunk)
        if size >= limit:
            return taken, False
    return taken, True


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()  # Django's response.close(): request_finished, so the thread's connection is tidied


class ThreadPoolDjango:
    """An ASGI app for HTTP scopes that runs a WSGI application on `threads` pool threads.

    With `heavy_threads`, requests for views marked `@heavy` run on a second pool of that many
    threads instead, at most `heavy_per_client` at a time for each client (see anmin.core.lanes).
    `is_heavy(path, method)` decides; by default the URL conf's marks do.
    """

    def __init__(
        self,
        wsgi_app,
        threads: int,
        *,
        heavy_threads: int = 0,
        heavy_processes: int = 0,
        heavy_per_client: int = 2,
        is_heavy: Callable[[str, str], bool] = lanes.is_heavy,
    ):
        self.app = wsgi_app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self.heavy_executor: Executor | None = None
        self.heavy_in_processes = bool(heavy_processes)
        self.heavy_processes = heavy_processes
        if heavy_processes:
            self.heavy_executor = lanes.heavy_process_pool(heavy_processes)
        elif heavy_threads:
            self.heavy_executor = ThreadPoolExecutor(max_workers=heavy_threads, thread_name_prefix="heavy")
        self.heavy_limit = lanes.PerClientLimit(heavy_per_client)
        self.is_heavy = is_heavy

    def _run(self, environ: dict) -> tuple[str, list, list[bytes], Iterable[bytes] | None, Iterator | None]:
        """In a pool thread: the whole request, and the first BUFFER_BYTES of the response."""
        started: list = []

        def start_response(status, headers, exc_info=None):
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]

        result = self.app(environ, start_response)
        thread_bound = isinstance(result, StreamingHttpResponse) and not isinstance(result, FileResponse)
        try:
            chunks = iter(result)
            head, done = _take(chunks, math.inf if thread_bound else BUFFER_BYTES)
        except BaseException:
            _close(result)
            raise
        if done:
            _close(result)
            return started[0], started[1], head, None, None
        return started[0], started[1], head, result, chunks

    def _more(self, result: Iterable[bytes], chunks: Iterator[bytes]) -> tuple[list[bytes], bool]:
        """In a pool thread: the next batch of a large response; closes it after the last."""
        batch, done = _take(chunks, BUFFER_BYTES)
        if done:
            _close(result)
        return batch, done

    async def __call__(self, scope, receive, send) -> None:
        limit = max_request_bytes()
        try:
            length = declared_length(scope)
        except ValueError:
            await answer(send, 400, *refusal(scope, "bad_length", "Bad Content-Length"))
            return
        if length is not None and length > limit:
            await self._too_large(scope, send)
            return
        executor, client = self.executor, None
        if self.heavy_executor is not None and self.is_heavy(scope["path"], scope["method"]):
            client = lanes.client_key(scope)
            if not self.heavy_limit.acquire(client):
                await self._busy(scope, send)
                return
            executor = self.heavy_executor
        try:
            if client is not None and self.heavy_in_processes:
                await self._serve_in_process(scope, receive, send, limit)
            else:
                await self._serve(scope, receive, send, limit, executor)
        finally:
            if client is not None:
                self.heavy_limit.release(client)

    async def _too_large(self, scope, send) -> None:
        mb = settings.MAX_REQUEST_MB
        headers, body = refusal(scope, "too_large", _message(scope, TOO_LARGE, mb=mb))
        # The rest of the body is never read: the connection cannot be reused for another request.
        await answer(send, 413, [*headers, (b"connection", b"close")], body)

    async def _busy(self, scope, send) -> None:
        headers, body = refusal(scope, "busy", _message(scope, BUSY))
        await answer(send, 429, [*headers, (b"retry-after", str(RETRY_AFTER_S).encode("latin-1"))], body)

    async def _serve_in_process(self, scope, receive, send, limit: int) -> None:
        """A heavy request in a worker process: the body goes as bytes, the whole answer comes back."""
        try:
            body = await read_body(receive, limit)
        except Disconnected:
            return
        except TooLarge:
            await self._too_large(scope, send)
            return
        with body:
            data = body.read()
        environ = build_environ(scope, None)
        del environ["wsgi.input"], environ["wsgi.errors"]  # streams do not cross processes
        loop = asyncio.get_running_loop()
        database = settings.DATABASES["default"]["NAME"]
        pool = self.heavy_executor
        try:
            status, headers, content = await loop.run_in_executor(pool, lanes.run_heavy, environ, data, str(database))
        except BrokenProcessPool:
            # A worker died (killed for memory, a crash in a C library): the pool refuses all work
            # from then on. Start a new one for the next report and tell this client to try again,
            # rather than answering every report with a 500 until the server is restarted.
            log.exception("the report lane's worker pool broke; starting a new one")
            if self.heavy_executor is pool:
                self.heavy_executor = lanes.heavy_process_pool(self.heavy_processes)
                pool.shutdown(wait=False, cancel_futures=True)
            headers, body = refusal(scope, "busy", _message(scope, BUSY))
            await answer(send, 503, [*headers, (b"retry-after", str(RETRY_AFTER_S).encode("latin-1"))], body)
            return
        await send(
            {
                "type": "http.response.start",
                "status": int(status.split(" ", 1)[0]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        for start in range(0, max(len(content), 1), BUFFER_BYTES):
            more = start + BUFFER_BYTES < len(content)
            await send({"type": "http.response.body", "body": content[start : start + BUFFER_BYTES], "more_body": more})

    async def _serve(self, scope, receive, send, limit: int, executor: Executor) -> None:
        try:
            body = await read_body(receive, limit)
        except Disconnected:
            return
        except TooLarge:
            await self._too_large(scope, send)
            return
        loop = asyncio.get_running_loop()
        try:
            environ = build_environ(scope, body)
            context = contextvars.copy_context()
            status, headers, head, result, chunks = await loop.run_in_executor(
                executor, context.run, self._run, environ
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": int(status.split(" ", 1)[0]),
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            )
            if result is None:
                await send({"type": "http.response.body", "body": b"".join(head), "more_body": False})
                return
            await send({"type": "http.response.body", "body": b"".join(head), "more_body": True})
            done = False
            try:
                while not done:
                    batch, done = await loop.run_in_executor(executor, context.run, self._more, result, chunks)
                    await send({"type": "http.response.body", "body": b"".join(batch), "more_body": not done})
            finally:
                if not done:  # failed or cancelled mid-download: still close the response
                    await loop.run_in_executor(executor, _close, result)
        finally:
            body.close()
