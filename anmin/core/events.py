"""Publish events to the live consoles after the transaction commits."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def publish(groups: set[str] | list[str], message: dict) -> None:
    """Send `message` to every Channels group in `groups` once the current transaction commits.

    Consoles receive only a small notice (kind and id); they fetch what changed through scoped
    views, so an event never carries data a console's user may not see.
    """
    groups = sorted(set(groups))

    def send():
        layer = get_channel_layer()
        if layer is None:
            return
        payload = {"type": "anmin.event", **message}
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, payload)
            except Exception:  # a console going away must never fail a dispatch
                log.exception("could not publish to %s", group)

    transaction.on_commit(send)
