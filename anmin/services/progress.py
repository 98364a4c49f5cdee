"""The public progress query (办件进度查询): 办件编号 + the last four digits of the applicant's phone →
status and steps, nothing personal. One indexed query for the application and its steps; a wrong pair
and an unknown number get the same answer, and an address that keeps missing is slowed down."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache as cache_on_first_use
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from anmin.core.errors import ActionError
from anmin.services.models import (
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    EventKind,
    ServiceItem,
)

NUMBER = re.compile(r"^BJ\d{14}$")
LAST4 = re.compile(r"^\d{4}$")
#: Misses allowed per address in MISS_WINDOW seconds: enough for typos, far too few to enumerate.
MAX_MISSES = 20
MISS_WINDOW = 600


class TooManyMisses(ActionError):
    status = 429


@dataclass
class PublicStatus:
    number: str
    item: str
    status: str
    status_label: str
    due_at: datetime | None
    steps: list[tuple[str, str, datetime]]  # (kind, label, at)


def not_found() -> ActionError:
    error = ActionError(_("未查询到该办件，请核对办件编号和手机号码后四位"), field="number", code="not_found")
    error.status = 404
    return error


@cache_on_first_use
def _status_sql() -> tuple[str, Callable[[Any], Any]]:
    """The one query behind an answer: the application, its item and its steps in order (a row per
    step, or one row with NULL step when there are none), and the converter for its datetimes.

    Written as SQL because it is the busiest public page: the ORM spent 0.6 ms building two
    queries that take 10 µs each to run. Names come from the models, so a renamed column is
    still found; the converter is the database backend's own, as the ORM would apply it."""
    app, item, event = Application._meta, ServiceItem._meta, ApplicationEvent._meta
    qn = connection.ops.quote_name

    def col(meta, name: str) -> str:
        return f"{qn(meta.db_table)}.{qn(meta.get_field(name).column)}"

    # Only names from the models' metadata go into the text; the values are parameters.
    sql = (
        f"SELECT {col(app, 'status')}, {col(app, 'due_at')}, {col(item, 'name')}, "  # noqa: S608
        f"{col(event, 'kind')}, {col(event, 'at')} "
        f"FROM {qn(app.db_table)} "
        f"INNER JOIN {qn(item.db_table)} ON {col(app, 'item')} = {col(item, 'id')} "
        f"LEFT OUTER JOIN {qn(event.db_table)} ON {col(event, 'application')} = {col(app, 'id')} "
        f"WHERE {col(app, 'number')} = %s AND {col(app, 'phone_last4')} = %s "
        f"ORDER BY {col(event, 'at')}, {col(event, 'id')}"
    )
    at = app.get_field("due_at")
    expression = at.get_col(app.db_table)
    converters = connection.ops.get_db_converters(expression) + at.get_db_converters(connection)

    def convert(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return sql, convert


def _status_rows(number: str, phone_last4: str) -> list[tuple]:
    sql, convert = _status_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [number, phone_last4])
        return [(s, convert(d), name, kind, convert(at)) for s, d, name, kind, at in cursor.fetchall()]


def _miss_key(ip: str | None) -> str:
    return f"services-status-miss:{ip or '-'}"


def lookup(number: str, phone_last4: str, *, ip: str | None = None) -> PublicStatus:
    number = (number or "").strip().upper()
    phone_last4 = (phone_last4 or "").strip()
    if not number:
        raise ActionError(_("请输入办件编号"), field="number", code="required")
    if not NUMBER.match(number):
        raise ActionError(_("办件编号为 BJ 加 14 位数字"), field="number", code="invalid")
    if not LAST4.match(phone_last4):
        raise ActionError(_("请输入手机号码后四位（4 位数字）"), field="phone_last4", code="invalid")
    if ip is not None and (cache.get(_miss_key(ip)) or 0) >= MAX_MISSES:
        raise TooManyMisses(_("查询失败次数过多，请 10 分钟后再试"), field="number", code="rate_limited")
    rows = _status_rows(number, phone_last4)
    if not rows:
        if ip is not None:
            key = _miss_key(ip)
            if not cache.add(key, 1, MISS_WINDOW):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, MISS_WINDOW)
        raise not_found()
    status, due_at, item_name = rows[0][:3]
    steps = [(kind, EventKind(kind).label, at) for _status, _due, _item, kind, at in rows if kind is not None]
    return PublicStatus(
        number=number,
        item=item_name,
        status=status,
        status_label=str(ApplicationStatus(status).label),
        due_at=due_at if status in OPEN_STATUSES else None,
        steps=[(k, str(label), at) for k, label, at in steps],
    )
