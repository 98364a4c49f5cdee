"""The public progress query (办件进度查询): 办件编号 + the last four digits of the applicant's phone →
status and steps, nothing personal. One indexed lookup and one query for the steps; a wrong pair
and an unknown number get the same answer, and an address that keeps missing is slowed down."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils.translation import gettext as _

from anmin.core.errors import ActionError
from anmin.services.models import OPEN_STATUSES, Application, ApplicationEvent, ApplicationStatus, EventKind

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
    row = (
        Application.objects.filter(number=number, phone_last4=phone_last4)
        .values_list("pk", "status", "due_at", "item__name")
        .first()
    )
    if row is None:
        if ip is not None:
            key = _miss_key(ip)
            if not cache.add(key, 1, MISS_WINDOW):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, MISS_WINDOW)
        raise not_found()
    pk, status, due_at, item_name = row
    steps = [
        (kind, EventKind(kind).label, at)
        for kind, at in ApplicationEvent.objects.filter(application_id=pk)
        .order_by("at", "id")
        .values_list("kind", "at")
    ]
    return PublicStatus(
        number=number,
        item=item_name,
        status=status,
        status_label=str(ApplicationStatus(status).label),
        due_at=due_at if status in OPEN_STATUSES else None,
        steps=[(k, str(label), at) for k, label, at in steps],
    )
