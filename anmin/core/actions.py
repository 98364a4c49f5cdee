"""Base class for actions: one mutation, its permission check, its transaction, its audit entry."""

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

log = logging.getLogger(__name__)

#: SQLite allows one writer at a time. Requests run on a pool of threads (anmin.core.http), and
#: `anmin serve --workers N` adds processes: writers queue on a thread lock and an flock() on a file
#: beside the database, both of which wake a waiter the moment they are free, instead of in
#: SQLite's busy handler, which sleeps in steps of up to 100 ms and made seconds-long tails.
_sqlite_writer = threading.RLock()
_sqlite_depth = threading.local()
_lock_files: dict[str, int] = {}


def _lock_file_for(database: str) -> int | None:
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    if database not in _lock_files:
        _lock_files[database] = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    return _lock_files[database]


@contextmanager
def _sqlite_write_lock() -> Iterator[None]:
    try:
        with _sqlite_writer:
            depth = getattr(_sqlite_depth, "n", 0)
            fd = _lock_file_for(str(connection.settings_dict["NAME"])) if depth == 0 else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            _sqlite_depth.n = depth + 1
            try:
                yield
            finally:
                _sqlite_depth.n = depth
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        if getattr(_sqlite_depth, "n", 0) == 0:
            _run_unlocked()


def _run_unlocked() -> None:
    pending = getattr(_sqlite_depth, "pending", None)
    while pending:
        func = pending.pop(0)
        try:
            func()
        except Exception:
            log.exception("a task after commit failed")


def after_commit(func: Callable[[], None]) -> None:
    """Run `func` once the transaction commits and, on SQLite, once this thread has let go of the
    writer lock: Django runs commit hooks while `write_transaction` still holds it, and a slow
    outside call there (an SMS gateway) kept every other writer waiting. Nothing runs on rollback.
    """

    def unlocked() -> None:
        if getattr(_sqlite_depth, "n", 0) > 0:
            if not hasattr(_sqlite_depth, "pending"):
                _sqlite_depth.pending = []
            _sqlite_depth.pending.append(func)
        else:
            func()

    transaction.on_commit(unlocked)


@contextmanager
def write_transaction() -> Iterator[None]:
    """One database transaction for a mutation; on SQLite, also the writer lock."""
    if connection.vendor == "sqlite":
        with _sqlite_write_lock(), transaction.atomic():
            yield
    else:
        with transaction.atomic():
            yield


class Action:
    """Subclasses implement `check()` (raise Denied/ActionError) and `run()` (the mutation).

    `execute()` runs both inside one transaction so a refused or failed action writes nothing.
    """

    def check(self) -> None:  # pragma: no cover - overridden
        return None

    def run(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def execute(self):
        with write_transaction():
            self.check()
            return self.run()
