"""Tiny per-process caches for hot, rarely-changing rows (categories, arrival targets, tokens).

Each cache holds entries for at most `ttl` seconds and is cleared in this process whenever the
underlying model is saved or deleted; another worker process sees the change within `ttl`.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_registry: list["TtlCache"] = []


class TtlCache:
    def __init__(self, name: str, ttl: float = 60.0):
        self.name = name
        self.ttl = ttl
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if value is not None:  # misses are not cached: a row created a moment later must be found
            with self._lock:
                self._data[key] = (now + self.ttl, value)
        return value

    def clear(self, *args, **kwargs) -> None:
        """Also usable as a signal receiver."""
        with self._lock:
            self._data.clear()


def clear_all() -> None:
    for cache in _registry:
        cache.clear()


class SharedRedisCache(RedisCache):
    """Django's Redis cache backend with one client (and connection pool) per process.

    Django keeps cache objects per context, not per thread, and the server runs every request in
    a fresh copy of the context (anmin.core.http), so the stock backend built a new connection pool,
    and a new connection with its handshake, for every request: 3.7 ms of the public progress
    query's 6 ms. The redis-py pool is thread-safe, so one per process serves all threads.
    """

    _clients: dict[tuple, Any] = {}
    _clients_lock = threading.Lock()

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._class(self._servers, **self._options)
        return client
