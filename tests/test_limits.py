"""Limits the server holds before a request reaches Django: body size, static paths, the heavy lane."""

import asyncio
import json
import threading

import pytest

from anmin.core.http import ThreadPoolDjango
from anmin.core.lanes import heavy, is_heavy
from tests.conftest import asgi_call as call
from tests.conftest import http_scope as scope

MB = 1024 * 1024


class Counting:
    """A WSGI app that reads its body, counts its calls and answers 200 from the thread it ran on."""

    def __init__(self, release: threading.Event | None = None):
        self.calls = 0
        self.release = release
        self.started = threading.Semaphore(0)
        self.threads: list[str] = []

    def __call__(self, environ, start_response):
        self.calls += 1
        environ["wsgi.input"].read()
        self.threads.append(threading.current_thread().name)
        self.started.release()
        if self.release is not None:
            self.release.wait(5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [threading.current_thread().name.encode()]


def run_apart(coroutine) -> None:
    """asyncio.run in a thread of its own: the session's Playwright keeps a loop running in this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(asyncio.run, coroutine).result()


def call_connected(app, scope):
    """Like asgi_call, but the client stays connected after its (empty) body, as a browser does:
    Django's own ASGI handler (which serves static files) stops at a disconnect."""
    sent = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # until cancelled when the response is done
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    run_apart(app(scope, receive, send))
    return sent


def status_and_body(sent):
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


# --- request bodies ----------------------------------------------------------------------------


def test_it_answers_413_from_content_length_without_reading_the_body(settings):
    settings.MAX_REQUEST_MB = 1
    app = Counting()
    chunks = [b"x" * 1000]
    sent = call(
        ThreadPoolDjango(app, threads=1),
        scope("/api/v1/incidents", "POST", [("Content-Length", str(2 * MB))]),
        body_chunks=chunks,
    )
    status, headers, body = status_and_body(sent)
    assert status == 413 and app.calls == 0
    assert headers[b"content-type"] == b"application/json"
    detail = json.loads(body)["detail"][0]
    assert detail["code"] == "too_large" and "1 MB" in detail["message"]


def test_it_answers_413_while_counting_a_body_without_length(settings):
    """A chunked body is counted as it arrives and refused at the first chunk past the limit."""
    settings.MAX_REQUEST_MB = 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # would spool to disk: nothing past the limit may be written
    app = Counting()
    chunks = [b"y" * (256 * 1024)] * 40  # 10 MB offered
    sent = call(ThreadPoolDjango(app, threads=1), scope("/portal/", "POST"), body_chunks=chunks)
    status, headers, body = status_and_body(sent)
    assert status == 413 and app.calls == 0
    assert headers[b"content-type"].startswith(b"text/plain") and headers[b"connection"] == b"close"
    assert b"MB" in body


def test_it_stops_reading_at_the_first_chunk_past_the_limit(settings):
    settings.MAX_REQUEST_MB = 1
    messages = [{"type": "http.request", "body": b"z" * (300 * 1024), "more_body": True} for _ in range(100)]
    read = []

    async def receive():
        read.append(1)
        return messages.pop()

    sent = []

    async def send(message):
        sent.append(message)

    run_apart(ThreadPoolDjango(Counting(), threads=1)(scope("/x/", "PUT"), receive, send))
    assert sent[0]["status"] == 413 and len(read) == 4  # 4 × 300 KB is the first count past 1 MB


def test_a_body_within_the_limit_arrives_whole(settings):
    settings.MAX_REQUEST_MB = 1
    app = Counting()
    sent = call(ThreadPoolDjango(app, threads=1), scope("/x/", "POST"), body_chunks=[b"a" * (MB - 10), b"b" * 10])
    assert sent[0]["status"] == 200 and app.calls == 1


@pytest.mark.parametrize("length", ["abc", "-1", "+5", "1_0"])
def test_it_rejects_a_malformed_content_length(length):
    app = Counting()
    sent = call(ThreadPoolDjango(app, threads=1), scope("/x/", "POST", [("Content-Length", length)]))
    assert sent[0]["status"] == 400 and app.calls == 0


def test_the_real_app_refuses_a_large_body_to_a_get_only_route(settings):
    """The case that started it: 1.5 GB streamed at a GET-only route was spooled before the 405."""
    from anmin.asgi import application

    settings.MAX_REQUEST_MB = 1
    sent = call(application, scope("/login/", "POST", [("Content-Length", str(1536 * MB))]))
    assert sent[0]["status"] == 413


def test_djangos_own_form_limit_matches_the_servers():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.MAX_REQUEST_MB * MB


# --- static paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/anmin/../../settings.py",
        "/static/../anmin/settings.py",
        "/static/anmin/./app.css",
        "/static/anmin//app.css",
        "/static/anmin/..\\..\\settings.py",
        "/static/anmin/\x00.css",
        "/static/anmin/no-such-file.css",
    ],
)
def test_it_answers_404_to_traversal_in_static_urls(path):
    from anmin.asgi import application

    sent = call_connected(application, scope(path))
    assert sent[0]["status"] == 404
    assert b"SECRET_KEY" not in b"".join(m.get("body", b"") for m in sent[1:])


def test_static_files_are_still_served():
    from anmin.asgi import application

    sent = call_connected(application, scope("/static/anmin/panels.js"))
    assert sent[0]["status"] == 200


def test_static_refuses_a_body_before_reading_it():
    from anmin.asgi import application

    assert call(application, scope("/static/anmin/panels.js", "POST"))[0]["status"] == 405
    with_body = scope("/static/anmin/panels.js", "GET", [("Content-Length", str(1536 * MB))])
    assert call(application, with_body)[0]["status"] == 413


# --- lanes -------------------------------------------------------------------------------------


def test_heavy_requests_run_on_their_own_pool_and_ordinary_ones_do_not_wait():
    release = threading.Event()
    app = Counting(release)
    bridge = ThreadPoolDjango(
        app, threads=1, heavy_threads=1, heavy_per_client=5, is_heavy=lambda path, method: path == "/export/"
    )
    results = {}

    def fetch(name, path, cookie):
        results[name] = call(bridge, scope(path, headers=[("Cookie", f"sessionid={cookie}")]))

    slow = threading.Thread(target=fetch, args=("export", "/export/", "a"))
    slow.start()
    assert app.started.acquire(timeout=5)  # the export is running and holds its thread
    release_later = threading.Timer(3, release.set)  # a safety net if the lanes were shared
    release_later.start()
    fast = threading.Thread(target=fetch, args=("intake", "/api/v1/incidents", "b"))
    fast.start()
    assert app.started.acquire(timeout=2), "an ordinary request waited behind a heavy one"
    release.set()
    slow.join(5)
    fast.join(5)
    release_later.cancel()
    _, _, export_thread = status_and_body(results["export"])
    _, _, intake_thread = status_and_body(results["intake"])
    assert export_thread.startswith(b"heavy") and intake_thread.startswith(b"http")


def test_it_answers_429_beyond_the_per_user_limit_of_heavy_requests():
    release = threading.Event()
    app = Counting(release)
    bridge = ThreadPoolDjango(app, threads=2, heavy_threads=3, heavy_per_client=2, is_heavy=lambda p, m: True)
    results = []

    def fetch(cookie):
        results.append(call(bridge, scope("/stats/export.pdf", headers=[("Cookie", f"sessionid={cookie}")])))

    first = [threading.Thread(target=fetch, args=("officer-a",)) for _ in range(2)]
    for t in first:
        t.start()
    for _ in first:
        assert app.started.acquire(timeout=5)
    third = call(bridge, scope("/stats/export.pdf", headers=[("Cookie", "sessionid=officer-a")]))
    status, headers, body = status_and_body(third)
    assert status == 429 and headers[b"retry-after"] == b"5"
    assert "报表正在生成，请稍候…" in body.decode()
    # Another officer is not held to the first one's share.
    other = threading.Thread(target=fetch, args=("officer-b",))
    other.start()
    assert app.started.acquire(timeout=5)
    release.set()
    for t in [*first, other]:
        t.join(5)
    assert [r[0]["status"] for r in results] == [200, 200, 200]
    # Finished requests give their places back.
    assert status_and_body(call(bridge, scope("/x/", headers=[("Cookie", "sessionid=officer-a")])))[0] == 200


def test_the_429_speaks_json_on_the_api_and_english_when_asked():
    release = threading.Event()
    app = Counting(release)
    bridge = ThreadPoolDjango(app, threads=1, heavy_threads=1, heavy_per_client=1, is_heavy=lambda p, m: True)
    holder = threading.Thread(
        target=call,
        args=(bridge, scope("/api/v1/cases/1/property/labels.pdf", headers=[("Authorization", "Bearer t")])),
    )
    holder.start()
    assert app.started.acquire(timeout=5)
    try:
        refused = call(
            bridge,
            scope(
                "/api/v1/cases/1/property/labels.pdf",
                headers=[("Authorization", "Bearer t"), ("Accept-Language", "en")],
            ),
        )
    finally:
        release.set()
        holder.join(5)
    status, headers, body = status_and_body(refused)
    assert status == 429 and headers[b"content-type"] == b"application/json"
    assert json.loads(body)["detail"][0]["code"] == "busy"


def test_the_heavy_mark_is_found_through_the_url_conf():
    assert is_heavy("/stats/export.pdf", "GET")
    assert is_heavy("/api/v1/cases/1/property/labels.pdf", "GET")
    assert not is_heavy("/api/v1/incidents", "POST")
    assert not is_heavy("/dispatch/", "GET")
    assert not is_heavy("/no/such/path/", "GET")


def test_heavy_marks_a_view_and_survives_login_required():
    from django.contrib.auth.decorators import login_required

    @login_required
    @heavy
    def view(request):
        return None

    assert view.anmin_heavy is True


# --- the page's "正在生成…" state ----------------------------------------------------------------


@pytest.mark.browser
def test_a_report_button_says_it_is_generating_until_the_file_arrives(city, asgi_server, browser):
    from tests.browser import logged_in_page

    page = logged_in_page(browser, asgi_server, city.leader)
    page.goto(f"{asgi_server.url}/stats/")
    page.fill("#pack-weekly-period", "")
    # Every text the button shows, recorded as it changes (the state lasts only as long as the PDF).
    page.evaluate(
        """() => {
        window.seen = [];
        const button = document.querySelector('#pack-weekly-pdf');
        new MutationObserver(() => window.seen.push([button.textContent, button.getAttribute('aria-busy')]))
          .observe(button, {childList: true, characterData: true, subtree: true, attributes: true});
    }"""
    )
    with page.expect_download(timeout=60_000) as info:
        page.click("#pack-weekly-pdf")
    assert info.value.suggested_filename.endswith(".pdf")
    page.wait_for_function("() => !document.querySelector('#pack-weekly-pdf').hasAttribute('aria-busy')")
    seen = page.evaluate("window.seen")
    assert ["正在生成…", "true"] in seen
    assert page.inner_text("#pack-weekly-pdf") == "PDF"


def test_a_heavy_view_answers_from_a_worker_process():
    """The real app runs @heavy views in worker processes (a PDF's pure-Python work there holds no
    lock the request threads need); the answer comes back whole, here the sign-in redirect."""
    from anmin.asgi import application

    sent = call(application, scope("/stats/export.pdf"))
    status, headers, _ = status_and_body(sent)
    assert status == 302 and headers[b"location"].startswith(b"/login/")


def test_a_broken_report_pool_answers_503_and_the_next_report_gets_a_new_pool():
    """A worker process that dies breaks the whole pool; the report asked for then is refused with
    a 503 and Retry-After (never a 500), and the next one runs in a fresh pool."""
    import os
    import signal

    from django.core.handlers.wsgi import WSGIHandler

    app = ThreadPoolDjango(WSGIHandler(), threads=2, heavy_processes=1, is_heavy=lambda path, method: True)
    try:
        first = app.heavy_executor
        pid = first.submit(os.getpid).result(timeout=60)
        os.kill(pid, signal.SIGKILL)
        status, headers, body = status_and_body(call(app, scope("/stats/export.pdf")))
        assert status == 503, body
        assert headers[b"retry-after"]
        assert app.heavy_executor is not first
        status, headers, _ = status_and_body(call(app, scope("/stats/export.pdf")))
        assert status == 302 and headers[b"location"].startswith(b"/login/")
    finally:
        app.heavy_executor.shutdown(wait=True)
