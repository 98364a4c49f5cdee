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
"""

import asyncio
import contextvars
import math
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse

#: A response up to this size is sent in one message; beyond it, in batches of this size.
BUFFER_BYTES = 256 * 1024


class Disconnected(Exception):
    """The client went away before its request body had arrived."""


async def read_body(receive) -> Any:
    """The request body as a file: in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then on disk."""
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            raise Disconnected
        if chunk := message.get("body"):
            body.write(chunk)
        if not message.get("more_body", False):
            break
    body.seek(0)
    return body


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
    """An ASGI app for HTTP scopes that runs a WSGI application on `threads` pool threads."""

    def __init__(self, wsgi_app, threads: int):
        self.app = wsgi_app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

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
        try:
            body = await read_body(receive)
        except Disconnected:
            return
        loop = asyncio.get_running_loop()
        try:
            environ = build_environ(scope, body)
            context = contextvars.copy_context()
            status, headers, head, result, chunks = await loop.run_in_executor(
                self.executor, context.run, self._run, environ
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
                    batch, done = await loop.run_in_executor(self.executor, context.run, self._more, result, chunks)
                    await send({"type": "http.response.body", "body": b"".join(batch), "more_body": not done})
            finally:
                if not done:  # failed or cancelled mid-download: still close the response
                    await loop.run_in_executor(self.executor, _close, result)
        finally:
            body.close()
