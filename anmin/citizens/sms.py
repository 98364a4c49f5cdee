"""The SMS gateway, pluggable: `SMS_BACKEND` names a class with `send(phone, text)`.

The default development backend writes each message to the log (and keeps the last ones in memory
for tests); a bureau plugs in its government SMS platform's client the same way.
"""

import logging
from collections import deque

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("anmin.sms")


class LogBackend:
    """Development: the message goes to the log, not to a phone."""

    outbox: deque = deque(maxlen=200)

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))
        log.warning("SMS to %s: %s", phone, text)


def backend():
    return import_string(settings.SMS_BACKEND)()


def send(phone: str, text: str) -> None:
    backend().send(phone, text)


def last_message(phone: str) -> str | None:
    """The latest message the log backend sent to a phone (tests and the demo)."""
    for to, text in reversed(LogBackend.outbox):
        if to == phone:
            return text
    return None
