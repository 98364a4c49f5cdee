"""The server's HTTP bridge (anmin.core.http): ASGI in, Django's WSGI handler on a thread pool."""

import threading

import pytest

from anmin.core.http import BUFFER_BYTES, ThreadPoolDjango, build_environ
from tests.conftest import asgi_call as call
from tests.conftest import http_scope as scope


class Recorder:
    """A WSGI app that answers with `chunks` and remembers what it saw."""

    def __init__(self, chunks=(b"ok",), fail_at=None):
        self.chunks = list(chunks)
        self.fail_at = fail_at
        self.environ = None
        self.body = None
        self.thread = None
        self.closed = threading.Event()

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read()
        self.thread = threading.current_thread().name
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Two", "a"), ("X-Two", "b")])
        return self

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("broken view")
            yield chunk

    def close(self):
        self.closed.set()


def test_the_environ_follows_pep_3333():
    environ = build_environ(
        scope(
            "/portal/办件/",
            "POST",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", "2"),
                ("Cookie", "a=1"),
                ("cookie", "b=2"),
                ("Accept", "text/html"),
                ("Accept", "application/json"),
                ("X-Forwarded-For", "1.1.1.1"),
            ],
            b"number=A1&x=%E4",
        ),
        body=None,
    )
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/portal/办件/".encode().decode("latin-1")  # WSGI's bytes-as-latin-1
    assert environ["QUERY_STRING"] == "number=A1&x=%E4"
    assert environ["CONTENT_TYPE"] == "application/json" and environ["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_ACCEPT"] == "text/html,application/json"
    assert environ["HTTP_X_FORWARDED_FOR"] == "1.1.1.1"
    assert environ["REMOTE_ADDR"] == "10.1.2.3"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8000")
    assert environ["wsgi.url_scheme"] == "http" and environ["wsgi.multithread"] is True


def test_a_small_answer_goes_in_one_message_from_a_pool_thread():
    app = Recorder([b"hello ", b"world"])
    sent = call(ThreadPoolDjango(app, threads=2), scope())
    start, body = sent
    assert start["status"] == 201
    assert start["headers"] == [(b"content-type", b"text/plain"), (b"x-two", b"a"), (b"x-two", b"b")]
    assert body == {"type": "http.response.body", "body": b"hello world", "more_body": False}
    assert app.thread.startswith("http") and app.closed.is_set()


def test_the_request_body_arrives_whole_even_beyond_memory(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # spills to a temporary file
    app = Recorder()
    chunks = [bytes([65 + i]) * 700 for i in range(4)]
    call(ThreadPoolDjango(app, threads=1), scope(method="POST"), body_chunks=chunks)
    assert app.body == b"".join(chunks)


def test_a_large_answer_is_streamed_in_batches_and_closed():
    chunk = b"x" * (64 * 1024)
    app = Recorder([chunk] * 10)  # 640 KB
    sent = call(ThreadPoolDjango(app, threads=2), scope())
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert len(bodies) >= 3
    assert all(len(m["body"]) <= BUFFER_BYTES for m in bodies)
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]
    assert b"".join(m["body"] for m in bodies) == chunk * 10
    assert app.closed.is_set()


def test_a_client_that_leaves_mid_download_still_gets_the_response_closed():
    app = Recorder([b"y" * (64 * 1024)] * 20)
    with pytest.raises(OSError):
        call(ThreadPoolDjango(app, threads=2), scope(), send_fails_after=2)  # start + first batch
    assert app.closed.wait(2)


def test_a_response_that_fails_while_iterating_is_closed():
    app = Recorder([b"a", b"b"], fail_at=1)
    with pytest.raises(RuntimeError, match="broken view"):
        call(ThreadPoolDjango(app, threads=1), scope())
    assert app.closed.is_set()


def test_a_client_that_leaves_before_its_body_arrives_costs_nothing():
    app = Recorder()
    sent = call(ThreadPoolDjango(app, threads=1), scope(method="POST"), body_chunks=())
    assert sent == [] and app.environ is None


def redis_url() -> str:
    """The test Redis (REDIS_TEST_URL, set by CI, which starts Redis): without it the test is
    skipped where there is no Redis, but where CI asked for it a missing Redis is a failure."""
    import os

    import redis

    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if "REDIS_TEST_URL" in os.environ:
            pytest.fail(f"REDIS_TEST_URL={url} does not answer")
        pytest.skip("no Redis on 127.0.0.1:6379 (set REDIS_TEST_URL to require one)")
    return url


def test_the_redis_channel_layer_carries_a_board_notice_between_worker_processes():
    """With several workers each process has its own channel layer; a notice published by one must
    reach a board connected to another (as `anmin serve --workers N` with REDIS_URL runs)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from channels_redis.pubsub import RedisPubSubChannelLayer

    url = redis_url()

    async def exchange():
        board_worker, intake_worker = RedisPubSubChannelLayer(hosts=[url]), RedisPubSubChannelLayer(hosts=[url])
        try:
            channel = await board_worker.new_channel()
            await board_worker.group_add("anmin-test-unit-1", channel)
            await asyncio.sleep(0.1)  # the subscription is in place before the publish
            await intake_worker.group_send("anmin-test-unit-1", {"type": "event", "kind": "incident", "id": 7})
            return await asyncio.wait_for(board_worker.receive(channel), 5)
        finally:
            await board_worker.flush()
            await intake_worker.flush()

    # In a thread of its own: the session's Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as runner:
        assert runner.submit(asyncio.run, exchange()).result() == {"type": "event", "kind": "incident", "id": 7}


def test_the_redis_cache_keeps_one_client_for_all_requests_and_threads():
    """With REDIS_URL the cache (rate-limit counters) is shared by every worker process; Django
    makes a cache object per request context, and each must not open a connection pool of its own."""
    from anmin.core.cache import SharedRedisCache

    url = redis_url()
    caches = [SharedRedisCache(url, {}) for _ in range(2)]
    other_thread = []
    worker = threading.Thread(target=lambda: other_thread.append(SharedRedisCache(url, {})._cache))
    worker.start()
    worker.join()
    assert caches[0]._cache is caches[1]._cache is other_thread[0]
    caches[0].set("anmin-test-miss", 1, 5)
    caches[1].incr("anmin-test-miss")
    assert caches[0].get("anmin-test-miss") == 2
    caches[0].delete("anmin-test-miss")


def test_a_generated_response_is_produced_whole_in_the_thread_that_started_it():
    """A generator may read the database on its thread's connection: it must not hop threads."""
    from django.http import StreamingHttpResponse

    threads = []

    def rows():
        for i in range(40):
            threads.append(threading.current_thread().name)
            yield b"%d," % i + b"z" * 32 * 1024

    def app(environ, start_response):
        response = StreamingHttpResponse(rows(), content_type="text/csv")
        start_response("200 OK", list(response.items()))
        return response

    sent = call(ThreadPoolDjango(app, threads=4), scope())
    assert len(set(threads)) == 1 and len(threads) == 40
    body = b"".join(m["body"] for m in sent if m["type"] == "http.response.body")
    assert len(body) > BUFFER_BYTES and body.startswith(b"0,") and b"39," in body
    assert sent[-1]["more_body"] is False
