"""The standard 警情通报: the week's or month's figures a clerk sends to the leaders every period.

One click gives four tables, in the order a 通报 reads them:

1. 警情数 by class, 同比 and 环比;
2. 八类严重暴力警情 by category, 同比;
3. 破案率 overall, for 传统侵财类 and for 电信网络诈骗, 同比;
4. 警情数 by station, ranked, 同比.

The figures are the user's own scope (a branch sees its stations), the same as every report page.
"""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.errors import ActionError, Denied
from anmin.stats import exports, periods, report
from anmin.stats.periods import Period
from anmin.stats.report import Report

KINDS = {"weekly": periods.Kind.WEEK, "monthly": periods.Kind.MONTH}

#: (query parameters, ranked) for each report of the pack.
QUERIES: tuple[tuple[dict[str, str], bool], ...] = (
    ({"metric": "incidents", "group_by": "class", "compare": "yoy"}, False),
    ({"metric": "incidents", "group_by": "class", "compare": "pop"}, False),
    ({"metric": "serious_violence", "group_by": "category", "compare": "yoy"}, False),
    ({"metric": "clearance_rate", "compare": "yoy"}, False),
    ({"metric": "clearance_rate", "group": "property", "compare": "yoy"}, False),
    ({"metric": "clearance_rate", "group": "telecom_fraud", "compare": "yoy"}, False),
    ({"metric": "incidents", "group_by": "station", "compare": "yoy"}, True),
)


class PackFile(NamedTuple):
    content: bytes
    filename: str
    title: str


def default_period(kind: str, today: date) -> Period:
    """The last complete ISO week (Monday to Sunday) or calendar month before `today`."""
    if kind == "weekly":
        monday = today - timedelta(days=today.weekday() + 7)
        year, week, _day = monday.isocalendar()
        return periods.week(year, week)
    last_day = today.replace(day=1) - timedelta(days=1)
    return periods.month(last_day.year, last_day.month)


def pack_period(kind: str, period: str | None, today: date | None = None) -> Period:
    if kind not in KINDS:
        raise ActionError(_("kind 应为 weekly（周报）或 monthly（月报）"), field="kind")
    if not period:
        return default_period(kind, today or timezone.localdate())
    chosen = periods.parse(period, "period")
    if chosen.kind != KINDS[kind]:
        example = "2025-W09" if kind == "weekly" else "2025-03"
        raise ActionError(
            _("period「%(value)s」与通报类型不符，应写作 %(example)s") % {"value": period[:40], "example": example},
            field="period",
        )
    return chosen


def scope_organization(user):
    """The unit whose figures the user sees: the bureau for the command centre, else their own."""
    from anmin.org.models import Organization, scope_path

    path = scope_path(user)
    if path is None:
        raise Denied(_("无权查看统计"))
    if path:
        return Organization.objects.get(path=path)
    return Organization.objects.filter(parent__isnull=True).order_by("pk").first()


def standard_pack(kind: str, user, *, period: str | None = None, today: date | None = None) -> tuple[list[Report], str]:
    """The pack's reports and its title (衡水市公安局 2025年第9周警情通报). `today` (default: the local
    date) decides the default period, the last complete week or month."""
    chosen = pack_period(kind, period, today)
    reports = []
    for params, ranked in QUERIES:
        query = report.parse_query({**params, "period": chosen.code}, user)
        reports.append(report.run(query, user, rank=ranked))
    org = scope_organization(user)
    name = org.name if org else ""
    title = _("%(org)s %(period)s警情通报") % {"org": name, "period": exports.short_label(chosen)}
    return reports, title.strip()


def _context(user) -> dict:
    org = scope_organization(user)
    issuer_org = getattr(user, "organization", None) or org
    if org is None or org.parent_id is None:
        area = _("全市")
    else:
        area = _("%(org)s辖区") % {"org": org.label}
    return {
        "issuer": issuer_org.name if issuer_org else "",
        "preparer": getattr(user, "full_name", "") or getattr(user, "username", ""),
        "area": area,
    }


def pack_xlsx(
    kind: str,
    user,
    *,
    period: str | None = None,
    today: date | None = None,
    notes: tuple[str, ...] = (),
    now: datetime | None = None,
) -> PackFile:
    """The 警情通报 as a 统计报表 workbook."""
    reports, title = standard_pack(kind, user, period=period, today=today)
    ctx = _context(user)
    content = exports.report_xlsx(
        reports, title=title, issuer=ctx["issuer"], notes=notes, preparer=ctx["preparer"], now=now
    )
    return PackFile(content, f"{title}.xlsx", title)


def pack_pdf(
    kind: str,
    user,
    *,
    period: str | None = None,
    today: date | None = None,
    notes: tuple[str, ...] = (),
    now: datetime | None = None,
) -> PackFile:
    """The 警情通报 as a PDF 简报."""
    reports, title = standard_pack(kind, user, period=period, today=today)
    ctx = _context(user)
    content = exports.report_pdf(
        reports,
        title=title,
        issuer=ctx["issuer"],
        notes=notes,
        area=ctx["area"],
        preparer=ctx["preparer"],
        now=now,
    )
    return PackFile(content, f"{title}.pdf", title)
