"""The SMS gateway, pluggable: `SMS_BACKEND` names a class with `send(phone, text)`.

The default development backend writes each message to the log (and keeps the last ones in memory
for tests); a bureau plugs in its government SMS platform's client the same way.

`send()` never talks to the gateway inside a transaction: it waits for the commit (and for the
SQLite writer lock to be let go). A gateway call takes from milliseconds to seconds, and made inside
an action it held the writer lock (every other writer of the platform, 110 intake included, queued
behind it); and a message sent before a rollback told the citizen of something that never happened.
"""

import logging
from collections import deque
from functools import partial

from django.conf import settings
from django.utils.module_loading import import_string

from anmin.core.actions import after_commit
from anmin.core.masking import mask_phone

log = logging.getLogger("anmin.sms")


class LogBackend:
    """Development: the message goes to the log, not to a phone."""

    outbox: deque = deque(maxlen=200)

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))
        log.warning("SMS to %s: %s", phone, text)


def backend():
    return import_string(settings.SMS_BACKEND)()


def _deliver(phone: str, text: str) -> None:
    # The change is committed by now: a gateway that is down must be logged, never turned into an
    # error page for a request whose work is done (the citizen can ask for a new code).
    try:
        backend().send(phone, text)
    except Exception:
        log.exception("could not send an SMS to %s", mask_phone(phone))


def send(phone: str, text: str) -> None:
    """Send `text` to `phone` once the current transaction commits (at once outside one) and the
    SQLite writer lock is free; nothing is sent when it rolls back."""
    after_commit(partial(_deliver, phone, text))


def last_message(phone: str) -> str | None:
    """The latest message the log backend sent to a phone (tests and the demo)."""
    for to, text in reversed(LogBackend.outbox):
        if to == phone:
            return text
    return None
