"""Publish events to the live consoles after the transaction commits."""

import asyncio
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from anmin.core.actions import after_commit

log = logging.getLogger(__name__)

#: The ASGI server's event loop, recorded by `anmin.asgi` on the first request it serves.
_server_loop: asyncio.AbstractEventLoop | None = None


def remember_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


async def _send_all(groups: list[str], payload: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            await layer.group_send(group, payload)
        except Exception:  # a console going away must never fail a dispatch
            log.exception("could not publish to %s", group)


def publish(groups: set[str] | list[str], message: dict) -> None:
    """Send `message` to every Channels group in `groups` once the current transaction commits.

    Consoles receive only a small notice (kind and id); they fetch what changed through scoped
    views, so an event never carries data a console's user may not see.

    Inside the server the notices are handed to its event loop without waiting: the request
    thread (one of the server's pool) goes straight on to the next request. Outside
    it (commands, tests) they are sent synchronously.
    """
    groups = sorted(set(groups))
    payload = {"type": "anmin.event", **message}

    def send():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = _server_loop
        if loop is not None and loop.is_running() and running is not loop:
            asyncio.run_coroutine_threadsafe(_send_all(groups, payload), loop)
        elif running is not None:
            # Called from code that runs its own event loop in this thread (not the server's):
            # async_to_sync refuses to run here, so send from a short-lived thread.
            worker = threading.Thread(target=async_to_sync(_send_all), args=(groups, payload))
            worker.start()
            worker.join(timeout=5)
        else:
            async_to_sync(_send_all)(groups, payload)

    def send_safely():
        # The change is committed by now: failing to tell the consoles (Redis down, no loop) must
        # be logged, never reported to the user as if the dispatch itself had failed.
        try:
            send()
        except Exception:
            log.exception("could not publish %s to %s", message, groups)

    # After the commit and, on SQLite, after the writer lock is let go: outside the server the
    # notices are sent synchronously, and other writers must not wait on the channel layer.
    after_commit(send_safely)
