"""Staff sign-in throttling: failed attempts per typed account name and per client address slow the
next attempt down and then ask for an image challenge — they never lock an account.

A lock-out after N wrong passwords let anyone who knows a dispatcher's badge number keep them out
of the command system for as long as they cared to type; and the counter was read, then written, so
40 wrong passwords sent at once were all checked before any of them locked anything. Here:

- every attempt reserves itself before its password is checked: the key's rows are locked
  (SELECT … FOR UPDATE on PostgreSQL, the writer lock on SQLite), the attempt is counted as a
  failure and the next allowed time moved on, all in one short transaction. Concurrent attempts
  queue on the row and find the wait already set, so they are refused without a password check;
  a successful sign-in takes its count back afterwards.
- the first LOGIN_FREE_FAILURES failures cost nothing; each further one doubles the wait (1 s, 2 s,
  4 s … at most LOGIN_MAX_DELAY_SECONDS). After LOGIN_CHALLENGE_AFTER failures an attempt needs a
  solved image challenge as well (anmin.org.challenge). A refused attempt is not counted, so an
  attacker cannot push the wait further without solving challenges, and the real officer, with
  the right password and the challenge, gets in after at most one wait.
- the account key is the name as typed, whether or not such an account exists: an unknown name is
  slowed exactly like a real one, so neither the answers nor their timing say which names exist.
- failures are forgotten after LOGIN_FORGET_AFTER_MINUTES without an attempt.
"""

import ipaddress
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from anmin.core.actions import write_transaction
from anmin.org.models import LoginThrottle

log = logging.getLogger(__name__)

Kind = LoginThrottle.Kind

#: Stale rows deleted at a time (each new key triggers a pass; a spray of names creates many keys).
PURGE_BATCH = 500


@dataclass(frozen=True)
class Rule:
    free_failures: int
    challenge_after: int

    def delay(self, failures: int) -> int:
        """Seconds to wait after `failures` failures in a row: 0 while free, then 1, 2, 4 … capped."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return 0
        return min(2 ** min(beyond - 1, 30), settings.LOGIN_MAX_DELAY_SECONDS)


def rule(kind: str) -> Rule:
    if kind == Kind.ADDRESS:
        return Rule(settings.LOGIN_ADDRESS_FREE_FAILURES, settings.LOGIN_ADDRESS_CHALLENGE_AFTER)
    return Rule(settings.LOGIN_FREE_FAILURES, settings.LOGIN_CHALLENGE_AFTER)


def normalize_name(username: str) -> str:
    """The typed name as counted: spaces around it and letter case make no new name to guess under."""
    return username.strip().casefold()


def normalize_address(address: str | None) -> str | None:
    """The client address as counted: an IPv6 client holds a whole /64, so the /64 is the key."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def digest(kind: str, value: str) -> str:
    # Keyed, so the table does not reveal which names were typed (a password typed into the name
    # box would otherwise be kept in clear); rotating SECRET_KEY merely forgets the counts.
    return salted_hmac("anmin.org.throttle", f"{kind}\x00{value}", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Keys:
    """The throttle keys of one attempt: the typed account name and, when known, the address."""

    account: str
    address: str | None = None

    @classmethod
    def of(cls, username: str, address: str | None) -> "Keys":
        normalized = normalize_address(address)
        return cls(
            account=digest(Kind.ACCOUNT, normalize_name(username)),
            address=digest(Kind.ADDRESS, normalized) if normalized else None,
        )

    def items(self) -> list[tuple[str, str]]:
        pairs = [(Kind.ACCOUNT.value, self.account)]
        if self.address:
            pairs.append((Kind.ADDRESS.value, self.address))
        # Always the same order, so two attempts lock the rows they share in the same order.
        return sorted(pairs, key=lambda pair: pair[1])

    def values(self) -> list[str]:
        return [key for _kind, key in self.items()]


@dataclass
class State:
    """Whether an attempt may go ahead now: the seconds still to wait, and whether it needs a challenge."""

    wait: int = 0
    challenge: bool = False
    #: For a reserved attempt: the keys (kinds) whose challenge this failure would switch on.
    challenge_started: list[str] = field(default_factory=list)
    #: For a reserved attempt: the wait its failure sets, and the failures counted on the account key.
    delay: int = 0
    failures: int = 0
    reserved: bool = False


def _forget_before(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.LOGIN_FORGET_AFTER_MINUTES)


def _fresh(row: LoginThrottle, now: datetime) -> LoginThrottle:
    """The row as it counts now: after a quiet spell its failures are forgotten."""
    if row.updated_at < _forget_before(now):
        row.failures, row.next_allowed_at, row.challenge_required = 0, None, False
    return row


def _wait(row: LoginThrottle, now: datetime) -> int:
    if row.next_allowed_at is None or row.next_allowed_at <= now:
        return 0
    return max(1, math.ceil((row.next_allowed_at - now).total_seconds()))


def peek(keys: Keys, now: datetime | None = None) -> State:
    """What an attempt with these keys would meet now, without reserving anything."""
    now = now or timezone.now()
    state = State()
    for row in LoginThrottle.objects.filter(key__in=keys.values()):
        row = _fresh(row, now)
        state.wait = max(state.wait, _wait(row, now))
        state.challenge = state.challenge or row.challenge_required
    return state


def _lock_rows(items: list[tuple[str, str]], now: datetime) -> tuple[list[LoginThrottle], bool]:
    """The rows of these keys, created if missing, locked in key order. True if a row was created."""
    keys = [key for _kind, key in items]
    created = False
    for _attempt in range(3):
        rows = list(LoginThrottle.objects.select_for_update().filter(key__in=keys).order_by("key"))
        if len(rows) == len(keys):
            return rows, created
        have = {row.key for row in rows}
        missing = [LoginThrottle(kind=kind, key=key, updated_at=now) for kind, key in items if key not in have]
        # ON CONFLICT DO NOTHING: another attempt may be creating the same row this very moment.
        LoginThrottle.objects.bulk_create(missing, ignore_conflicts=True)
        created = True
    raise DatabaseError("login throttle rows vanished three times while being locked")


def reserve(keys: Keys, *, challenge_passed: bool, now: datetime | None = None) -> State:
    """Reserve one password check for these keys, or say why not.

    The attempt is counted as a failure here, before its password is checked, so that no number of
    concurrent attempts gets more checks than the rule allows; `succeeded()` takes it back.
    """
    now = now or timezone.now()
    state = State()
    with write_transaction():
        rows, created = _lock_rows(keys.items(), now)
        rows = [_fresh(row, now) for row in rows]
        state.wait = max(_wait(row, now) for row in rows)
        state.challenge = any(row.challenge_required for row in rows)
        if state.wait or (state.challenge and not challenge_passed):
            return state
        for row in rows:
            limits = rule(row.kind)
            row.failures += 1
            delay = limits.delay(row.failures)
            row.next_allowed_at = now + timedelta(seconds=delay) if delay else None
            if row.failures >= limits.challenge_after and not row.challenge_required:
                row.challenge_required = True
                state.challenge_started.append(row.kind)
            row.refusal_audited = False
            row.updated_at = now
            state.delay = max(state.delay, delay)
            if row.kind == Kind.ACCOUNT:
                state.failures = row.failures
        LoginThrottle.objects.bulk_update(
            rows, ["failures", "next_allowed_at", "challenge_required", "refusal_audited", "updated_at"]
        )
        state.reserved = True
    if created:
        purge_stale(now)
    return state


def succeeded(keys: Keys) -> None:
    """The reserved attempt signed in: the account starts afresh; the address gets back the one
    failure the reservation counted, and no more (another name's failures from there still count)."""
    with write_transaction():
        LoginThrottle.objects.filter(key=keys.account).update(
            failures=0, next_allowed_at=None, challenge_required=False, refusal_audited=False
        )
        if keys.address:
            rows = LoginThrottle.objects.select_for_update().filter(key=keys.address, failures__gt=0)
            for row in rows:
                row.failures -= 1
                row.save(update_fields=["failures"])


def first_refusal(keys: Keys, now: datetime | None = None) -> bool:
    """Mark the keys that refuse an attempt now as having had a refusal audited; True if one had
    not yet. The first refused attempt of each wait is worth an audit entry, a flood of them is not."""
    now = now or timezone.now()
    refusing = Q(next_allowed_at__gt=now) | Q(challenge_required=True)
    with write_transaction():
        marked = (
            LoginThrottle.objects.filter(refusing, key__in=keys.values(), refusal_audited=False)
            .filter(updated_at__gte=_forget_before(now))
            .update(refusal_audited=True)
        )
    return marked > 0


def purge_stale(now: datetime | None = None) -> int:
    """Delete rows nobody has tried for LOGIN_FORGET_AFTER_MINUTES (they count nothing any more).
    Best effort: rows another attempt holds are skipped, and a failure here fails no sign-in."""
    now = now or timezone.now()
    try:
        with write_transaction():
            stale = LoginThrottle.objects.filter(updated_at__lt=_forget_before(now))
            if connection.features.has_select_for_update_skip_locked:
                stale = stale.select_for_update(skip_locked=True)
            pks = list(stale.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
            if pks:
                LoginThrottle.objects.filter(pk__in=pks).delete()
            return len(pks)
    except DatabaseError:
        log.warning("could not purge stale login throttle rows", exc_info=True)
        return 0
