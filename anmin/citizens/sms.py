"""The SMS gateway, pluggable: `SMS_BACKEND` names a class with `send(phone, text)`.

A bureau plugs in its government SMS platform's client. Two backends come with Anmin:
- `LogBackend`, the development gateway: each message goes to the log. A sign-in code or a survey
  link in a log is a credential anyone who reads the logs can use, so it refuses to be constructed
  unless DEBUG is on, and a system check stops the server from starting with it in production.
- `MemoryBackend`, for tests: keeps the messages in memory and logs nothing.
Both keep the last messages in the same outbox, which `last_message()` reads (tests, the demo).

`send()` never talks to the gateway inside a transaction: it waits for the commit (and for the
SQLite writer lock to be let go). A gateway call takes from milliseconds to seconds, and made inside
an action it held the writer lock (every other writer of the platform, 110 intake included, queued
behind it); and a message sent before a rollback told the citizen of something that never happened.
"""

import logging
from collections import deque
from functools import partial

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from anmin.core.actions import after_commit
from anmin.core.masking import mask_phone

log = logging.getLogger("anmin.sms")

#: The last messages sent through LogBackend or MemoryBackend, as (phone, text).
OUTBOX: deque = deque(maxlen=200)

LOG_BACKEND_IN_PRODUCTION = (
    "SMS_BACKEND is the development gateway anmin.citizens.sms.LogBackend, which writes sign-in codes "
    "and survey links to the log: set SMS_BACKEND to the SMS platform's client (or DEBUG=true for development)"
)


class LogBackend:
    """Development: the message goes to the log, not to a phone. Refused unless DEBUG."""

    outbox = OUTBOX

    def __init__(self):
        if not settings.DEBUG:
            raise ImproperlyConfigured(LOG_BACKEND_IN_PRODUCTION)

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))
        log.warning("SMS to %s: %s", phone, text)


class MemoryBackend:
    """Tests: the message stays in memory (`last_message()`); nothing is logged, nothing sent."""

    outbox = OUTBOX

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def backend():
    if not settings.SMS_BACKEND:
        raise ImproperlyConfigured("SMS_BACKEND is not set: name the SMS platform's client class")
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
    """The latest message the log or memory backend sent to a phone (tests and the demo)."""
    for to, text in reversed(OUTBOX):
        if to == phone:
            return text
    return None
