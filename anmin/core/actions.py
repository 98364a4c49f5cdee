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
    """One mutation: its permission check, its transaction, its audit entries.

    Subclasses implement `check()` (raise Denied/ActionError) and `run()` (the mutation), and
    declare what the audit trail says of them: `audit_action`, the code of their entry
    ("incident.dispatch"), as a string or as a method when the code depends on the request
    (`f"assignment.{self.step}"`); or, for the few that write none, `not_audited`, a sentence saying
    why. `run()` names what it changed with `self.audit(obj, data)` (once per entry: a bulk action
    calls it once per row); `execute()` writes the entries after `run()` returns, inside the same
    transaction, so a refused or failed action writes nothing and the trail's head row (which
    every audited transaction locks in turn) is held only for the last moment of the transaction.

    Events and SMS need nothing here: `anmin.core.events.publish` and `after_commit` already wait
    for the commit, and a rolled-back action sends nothing.
    """

    #: The audit code of this action's entries, or a method returning it.
    audit_action: str | Callable[[], str] = ""
    #: Why this action writes no audit entry (telemetry, a refusal counted elsewhere…); empty if it does.
    not_audited: str = ""

    def check(self) -> None:  # pragma: no cover - overridden
        return None

    def run(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def audit_actor(self):
        """Who the entries name: the officer in `by`; portal actions name their citizen instead."""
        return self.by

    def audit(self, obj, data: dict | None = None, *, action: str | None = None, actor=None) -> None:
        """Record that this action changed (or, for a viewing of personal data, showed) `obj`.

        `action` overrides the declared code for an entry of another kind (a transition that
        becomes an approval request); `actor` overrides `audit_actor()` where the actor is only
        known in `run()` (the citizen a sign-in created).
        """
        if action is None:
            action = self.audit_action() if callable(self.audit_action) else self.audit_action
        if not action:
            raise TypeError(f"{type(self).__name__} declares no audit_action")
        actor = self.audit_actor() if actor is None else actor
        self.__dict__.setdefault("_audit_entries", []).append((actor, action, obj, data))

    def write_audit(self) -> None:
        """Append the entries `run()` recorded. `execute()` calls it; an action that runs another
        one's `run()` inside its own (skipping a check that does not apply) calls it for that one."""
        from anmin.core.models import append_audit  # core.models needs the app registry

        entries = self.__dict__.pop("_audit_entries", [])
        for actor, action, obj, data in entries:
            append_audit(actor=actor, action=action, obj=obj, data=data)

    def execute(self):
        # A retry of the same instance must not carry entries of a run that was rolled back.
        self.__dict__.pop("_audit_entries", None)
        with write_transaction():
            self.check()
            result = self.run()
            self.write_audit()
            return result
