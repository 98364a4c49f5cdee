"""The clock scan: colour every running clock for `now` and tell people of each change once.

Two set-based UPDATEs do the work, each on a partial index that holds only the clocks that can
still change (`Clock.Meta.indexes`):

1. normal or due_soon → overdue   where due_at < now            (刑事诉讼法 第一百零五条: the last
   second of the period is still within it, so a clock is overdue only once now is past due_at);
2. normal → due_soon              where warn_at <= now (after 1., so also now <= due_at).

Both return the ids they changed (UPDATE … RETURNING: SQLite ≥ 3.35 and PostgreSQL), and only those
clocks get a `ClockNotice` — for the 主办侦查员 and for every 法制监督员 (Role.LEGAL) whose scope covers
the case. A clock that stays red is not told about again at the next scan; two scans racing cannot
both change the same row (the second UPDATE re-checks `state` under the row lock), and the notice's
unique constraint is a second guard.
"""

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

from anmin.cases.models import Case
from anmin.core.actions import write_transaction
from anmin.core.events import publish
from anmin.org.models import Officer, Organization, Role
from anmin.supervision.clocks import organization_groups
from anmin.supervision.models import Clock, ClockNotice, ClockState


@dataclass
class ScanResult:
    """What one scan changed: clocks turned yellow, clocks turned red, notices written."""

    now: datetime
    due_soon: int = 0
    overdue: int = 0
    notices: int = 0
    seconds: float = 0.0
    #: ids of the clocks whose state this scan changed (for callers and tests, not for display)
    changed: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        data.pop("changed")
        return data


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _update_returning(to_state: str, where: str, now: datetime, conditions: int) -> list[int]:
    """One set-based state change; returns the ids of the clocks it changed."""
    value = connection.ops.adapt_datetimefield_value(now)
    # The state literals are TextChoices constants, written into the SQL so that PostgreSQL can
    # match the partial indexes' predicates; the times are parameters.
    sql = f"UPDATE {_table(Clock)} SET state = '{to_state}', state_changed_at = %s WHERE {where} RETURNING id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value] * (1 + conditions))
        return [row[0] for row in cursor.fetchall()]


def _ids_in(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`, as one parameter however many ids (thousands after an outage)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    if connection.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]  # noqa: S608
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _legal_supervisors() -> list[tuple[int, str]]:
    """(officer id, scope path) of every active 法制监督员; "" is the whole city."""
    supervisors = []
    for officer in Officer.objects.filter(role=Role.LEGAL, is_active=True).select_related("organization"):
        org = officer.organization
        if officer.is_superuser or (org is not None and (org.commands_all or org.parent_id is None)):
            supervisors.append((officer.pk, ""))
        elif org is not None:
            supervisors.append((officer.pk, org.path))
    return supervisors


def scan(now: datetime | None = None) -> ScanResult:
    """Colour the running clocks for `now` (default: the current time) and notify each change once.

    Runs in one transaction; live notices to the units' boards go out after it commits."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("scan(now) needs a timezone-aware datetime")
    started = time.perf_counter()
    result = ScanResult(now=now)
    with write_transaction():
        overdue = _update_returning(ClockState.OVERDUE, "state IN ('normal', 'due_soon') AND due_at < %s", now, 1)
        # No "due_at >= now" here: the UPDATE above has just turned every normal clock past its
        # deadline red, and that condition made PostgreSQL walk the deadline index over all running
        # clocks (74 ms at 100,000 cases) instead of the warning index over the few turning yellow
        # (2 ms). A clock committed by another transaction between the two statements with a
        # deadline already past would turn yellow here and red at the next scan.
        due_soon = _update_returning(ClockState.DUE_SOON, "state = 'normal' AND warn_at <= %s", now, 1)
        result.overdue, result.due_soon = len(overdue), len(due_soon)
        result.changed = overdue + due_soon
        if result.changed:
            result.notices = _notify(result.changed, now)
    result.seconds = time.perf_counter() - started
    return result


def _notify(ids: list[int], now: datetime) -> int:
    """Write the reminders for the changed clocks `ids` in two INSERT … SELECTs (the investigators,
    then the supervisors whose scope path prefixes the case's unit), and tell the units' boards.

    Set-based because a scan after an outage may change thousands of clocks: building a model
    object per reminder cost more than both UPDATEs together."""
    where, where_params = _ids_in("k.id", ids)
    value = connection.ops.adapt_datetimefield_value(now)
    columns = "recipient_id, clock_id, state, due_at, created_at, read_at"
    clocks, cases, orgs = _table(Clock), _table(Case), _table(Organization)
    joined = f"{clocks} k JOIN {cases} c ON c.id = k.case_id"
    notices = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(ClockNotice)} ({columns}) "  # noqa: S608 - table names and placeholders only
            f"SELECT c.lead_investigator_id, k.id, k.state, k.due_at, %s, NULL FROM {joined} "
            f"WHERE {where} ON CONFLICT DO NOTHING",
            [value, *where_params],
        )
        notices += max(cursor.rowcount, 0)
        supervisors = _legal_supervisors()
        if supervisors:
            values = ", ".join(["(%s, %s)"] * len(supervisors))
            cursor.execute(
                f"INSERT INTO {_table(ClockNotice)} ({columns}) "  # noqa: S608 - table names and placeholders only
                f"SELECT s.column1, k.id, k.state, k.due_at, %s, NULL FROM {joined} "
                f"JOIN {orgs} g ON g.id = c.organization_id "
                f"JOIN (VALUES {values}) AS s ON substr(g.path, 1, length(s.column2)) = s.column2 "
                f"WHERE {where} AND s.column1 <> c.lead_investigator_id ON CONFLICT DO NOTHING",
                [value, *(item for pair in supervisors for item in pair), *where_params],
            )
            notices += max(cursor.rowcount, 0)
        cursor.execute(
            f"SELECT DISTINCT g.path FROM {joined} JOIN {orgs} g ON g.id = c.organization_id WHERE {where}",  # noqa: S608
            where_params,
        )
        paths = [row[0] for row in cursor.fetchall()]
    # Boards fetch through their own scoped views; the notice says only that clocks changed.
    publish(organization_groups(paths), {"kind": "clocks", "changed": len(ids)})
    return notices
