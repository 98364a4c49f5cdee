"""统计分析 screens: the report builder, the drill-down behind every figure (零差错: the list has
exactly as many records as the figure says), the Excel/PDF exports and the leader's dashboard.

Every figure comes from `report.run()` and every list from `report.records()`, with the same query
parameters, so a page cannot show a number its drill-down disagrees with. Both scope by the user.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import h3
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.core.audit import security_event
from anmin.core.errors import ActionError
from anmin.core.lanes import heavy
from anmin.geo.models import GridCell
from anmin.incidents.models import Category, IncidentClass
from anmin.org.models import Organization, scope_path
from anmin.stats import periods, report
from anmin.stats.forms import DashboardForm, PackForm, RecordsForm, ReportForm, error_of

PAGE_SIZE = 100
#: A bar chart stays readable up to about this many groups.
CHART_ROWS = 30
#: The table shows this many groups (a city has some ten thousand grid cells); the exports have all.
TABLE_ROWS = 300
#: Stations in the dashboard's ranking.
RANKING_ROWS = 10
#: Parameters the builder's form shows: an error about one of them is printed beside it.
FORM_FIELDS = ("metric", "period", "compare", "group_by", "class", "category", "group", "org", "grid")
FILTERS = ("class", "category", "group", "org", "grid")
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PACKS = {"weekly": gettext_lazy("警情周报"), "monthly": gettext_lazy("警情月报")}

#: A rise is good news for these metrics and bad news for incident counts and arrival times; the
#: others (受案、立案 and the like) are shown without a colour.
RISE_IS_GOOD = {"on_time_rate", "clearance_rate", "cases_solved", "zero_incident_rate", "zero_community_rate"}
RISE_IS_BAD = {"incidents", "serious_violence", "arrival_minutes"}


#: What the records behind a rollup column are, for the drill-down's heading.
PART_LABELS = {
    "n": gettext_lazy("警情"),
    "arrived": gettext_lazy("到场警情"),
    "on_time": gettext_lazy("按时到场警情"),
    "arrival_micros": gettext_lazy("到场警情"),
    "accepted": gettext_lazy("受案"),
    "filed": gettext_lazy("刑事立案"),
    "solved": gettext_lazy("刑事破案"),
    "zero": gettext_lazy("零发案网格"),
    "cells": gettext_lazy("网格"),
    "zero_compounds": gettext_lazy("零发案小区"),
    "compounds": gettext_lazy("小区"),
}


def _require_scope(user) -> None:
    """Statistics are for officers placed in a unit (or the bureau); anyone else sees nothing."""
    if scope_path(user) is None:
        raise PermissionDenied


# --- figures and their links ---------------------------------------------------------------------


@dataclass
class Figure:
    """One printed number: its text, the drill-down link when it counts records, and for a ratio the
    numerator and denominator counts (each with its own link)."""

    text: str
    href: str = ""
    parts: list = field(default_factory=list)  # (label, count, href)


def _fmt(value, metric: report.Metric) -> str:
    if value is None:
        return "—"
    if metric.is_ratio:
        return f"{value:.2f}"
    return str(value)


def _signed(value, metric: report.Metric) -> str:
    if value is None:
        return "—"
    if metric.is_ratio:
        return f"{value:+.2f}"
    return f"{value:+d}" if isinstance(value, int) else f"{value:+.2f}"


def records_url(query: report.Query, key: str, *, baseline: bool, part: str) -> str:
    params = query.params(key=key, baseline=int(baseline), part=part)
    return reverse("stats:records") + "?" + urlencode(params)


def builder_url(query: report.Query, **override) -> str:
    return reverse("stats:builder") + "?" + urlencode(query.params(**override))


def _figure(query: report.Query, row: report.Row, *, baseline: bool) -> Figure:
    metric = query.metric
    value = row.baseline if baseline else row.value
    sums = row.parts["baseline" if baseline else "current"]
    if not metric.is_ratio:
        return Figure(_fmt(value, metric), records_url(query, row.key, baseline=baseline, part="value"))
    parts = []
    if not metric.minutes:  # a sum of microseconds is not a count of records
        parts.append(
            (
                PART_LABELS.get(metric.numerator, metric.numerator),
                sums.get(metric.numerator, 0),
                records_url(query, row.key, baseline=baseline, part="numerator"),
            )
        )
    parts.append(
        (
            PART_LABELS.get(metric.denominator, metric.denominator),
            sums.get(metric.denominator, 0),
            records_url(query, row.key, baseline=baseline, part="denominator"),
        )
    )
    return Figure(_fmt(value, metric), parts=parts)


@dataclass
class Line:
    row: report.Row
    current: Figure
    baseline: Figure | None
    change: str
    change_text: str
    direction: str = ""
    is_total: bool = False


def _lines(rep: report.Report) -> list[Line]:
    query = rep.query
    compared = query.compare is not None
    rows = rep.rows[:TABLE_ROWS]
    if query.group_by:
        rows.append(rep.total)
    return [
        Line(
            row=row,
            current=_figure(query, row, baseline=False),
            baseline=_figure(query, row, baseline=True) if compared else None,
            change=_signed(row.change, query.metric) if compared else "",
            change_text=report.change_text(row, query.compare, query.metric),
            direction=_direction(row, query.metric) if compared else "",
            is_total=bool(query.group_by) and row is rep.total,
        )
        for row in rows
    ]


def _chart(rep: report.Report) -> dict:
    """Current against baseline for the first groups (the table has them all)."""
    query = rep.query
    rows = rep.rows[:CHART_ROWS]
    counting = not query.metric.is_ratio
    chart = {
        "labels": [row.label for row in rows],
        "unit": str(query.metric.unit),
        "current": {
            "name": _("本期（%(period)s）") % {"period": query.period.label},
            "data": [row.value for row in rows],
            "links": [records_url(query, r.key, baseline=False, part="value") for r in rows] if counting else [],
        },
        "truncated": len(rep.rows) > CHART_ROWS,
    }
    if query.baseline_period:
        chart["baseline"] = {
            "name": _baseline_word(query) + _("（%(period)s）") % {"period": query.baseline_period.label},
            "data": [row.baseline for row in rows],
            "links": [records_url(query, r.key, baseline=True, part="value") for r in rows] if counting else [],
        }
    return chart


def _baseline_word(query: report.Query) -> str:
    return _("同期") if query.compare == "yoy" else _("上期")


# --- the builder ---------------------------------------------------------------------------------


def quick_periods(today: date) -> list[tuple[str, str]]:
    """The periods a report is most often asked for, as (label, code)."""
    year, week, _day = today.isocalendar()
    last_week = today - timedelta(days=7)
    last_month = today.replace(day=1) - timedelta(days=1)
    return [
        (_("本周"), periods.week(year, week).code),
        (_("上周"), periods.week(*last_week.isocalendar()[:2]).code),
        (_("本月"), periods.month(today.year, today.month).code),
        (_("上月"), periods.month(last_month.year, last_month.month).code),
        (_("本季度"), periods.quarter(today.year, (today.month - 1) // 3 + 1).code),
        (_("本年"), periods.year(today.year).code),
    ]


def _defaults(today: date) -> dict:
    return {"metric": "incidents", "period": periods.month(today.year, today.month).code, "compare": "yoy"}


def _choices(user) -> dict:
    orgs = Organization.objects.visible_to(user).filter(
        kind__in=(Organization.Kind.BUREAU, Organization.Kind.BRANCH, Organization.Kind.STATION)
    )
    return {
        "metrics": [(code, m.label) for code, m in report.METRICS.items()],
        "group_bys": list(report.GROUP_BY.items()),
        "classes": IncidentClass.choices,
        "groups": [(code, label) for code, (label, _codes) in report.CATEGORY_GROUPS.items()],
        "orgs": [(o.pk, o.name) for o in orgs.only("pk", "name", "code")],
        "categories": Category.objects.filter(active=True).order_by("code").values_list("code", "name"),
        # The grid box's placeholder: one of the user's own cells, so the way to write a name shows.
        "grid_example": GridCell.objects.visible_to(user)
        .filter(name__endswith="第1网格")  # one per station, not the city's ten thousand to sort
        .order_by("jurisdiction__code", *report.CELL_ORDER[1:])
        .values_list("name", flat=True)
        .first(),
    }


def _report_context(request, data) -> tuple[dict, ActionError | None]:
    """Read and run the report the parameters describe; an error names the field it concerns."""
    form = ReportForm(data, user=request.user)
    values = form.values()
    context = {"values": values, "rank": False, "error": None, "rep": None}
    context["filters_open"] = any(values[name] for name in FILTERS)
    try:
        if not form.is_valid():
            raise error_of(form)
        query = form.query()
        rank = context["rank"] = form.cleaned_data["rank"]
        rep = report.run(query, request.user, rank=rank)
    except ActionError as exc:
        context["error"] = exc
        context["error_beside"] = exc.field in FORM_FIELDS
        context["filters_open"] |= exc.field in FILTERS
        return context, exc
    extra = {"rank": 1} if rank else {}
    query_string = urlencode(query.params(**extra))
    context.update(
        rep=rep,
        query=query,
        lines=_lines(rep),
        hidden_rows=max(0, len(rep.rows) - TABLE_ROWS),
        chart=_chart(rep),
        baseline_word=_baseline_word(query),
        group_label=report.GROUP_BY[query.group_by] if query.group_by else _("项目"),
        query_string=query_string,
    )
    return context, None


@login_required
def builder(request):
    """报表生成: a metric over a period, 同比/环比, grouped and filtered; every figure links to its records."""
    _require_scope(request.user)
    today = timezone.localdate()
    data = request.GET if request.GET else _defaults(today)
    context, error = _report_context(request, data)
    context.update(_choices(request.user), nav="stats", quick=quick_periods(today), packs=PACKS, pack_error=None)
    htmx = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "stats/_builder.html" if htmx else "stats/builder.html"
    return render(request, template, context, status=error.status if error else 200)


@login_required
@heavy
def export(request, fmt: str):
    """导出: the builder's report as an Excel workbook or a PDF, for the same parameters."""
    _require_scope(request.user)
    if fmt not in FORMATS:
        raise Http404
    context, error = _report_context(request, request.GET)
    if error is not None:
        today = timezone.localdate()
        context.update(_choices(request.user), nav="stats", quick=quick_periods(today), packs=PACKS, pack_error=None)
        return render(request, "stats/builder.html", context, status=error.status)
    from anmin.stats import exports  # the spreadsheet and PDF libraries: loaded only when exporting

    rep = context["rep"]
    query = rep.query
    user = request.user
    title = _("%(metric)s统计（%(period)s）") % {"metric": query.metric.label, "period": query.period.label}
    issuer = user.organization.name if user.organization_id else str(settings.SITE_NAME)
    common = {
        "title": title,
        "issuer": issuer,
        "notes": report_notes(query),
        "preparer": user.full_name or user.username,
    }
    if fmt == "xlsx":
        body = exports.report_xlsx([rep], **common)
    else:
        body = exports.report_pdf([rep], area=_area(query, user), **common)
    security_event("export", request=request, data={"report": title, "format": fmt, "rows": len(rep.rows)})
    return _download(body, fmt, f"{query.metric.label}-{query.period.code}.{fmt}")


def report_notes(query: report.Query) -> list[str]:
    """The filters, which an exported table's heading does not otherwise say."""
    filters = []
    if query.klass:
        filters.append(str(IncidentClass(query.klass).label))
    if query.category:
        category = Category.objects.filter(code=query.category).first()
        filters.append(f"{query.category} {category.name}" if category else query.category)
    if query.group:
        filters.append(str(report.CATEGORY_GROUPS[query.group][0]))
    if query.org:
        filters.append(Organization.objects.get(pk=query.org).name)
    if query.grid:
        filters.append(report.grid_names([query.grid])[query.grid])  # 河西所第17网格: it says 网格 itself
    return [_("筛选条件：%(filters)s。") % {"filters": "、".join(filters)}] if filters else []


def _area(query: report.Query, user) -> str:
    """Where the figures are from, as the 简报's sentences name it (全市, 桃城分局辖区)."""
    org = Organization.objects.get(pk=query.org) if query.org else None
    if org is None and not user.sees_everything:
        org = user.organization
    if org is None or org.parent_id is None:
        return _("全市")
    return _("%(org)s辖区") % {"org": org.label}


def _download(body: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@heavy
def pack(request, kind: str, fmt: str):
    """标准报表: the weekly or monthly 警情通报 (?period= a week or month code; default the last one)."""
    _require_scope(request.user)
    if kind not in PACKS or fmt not in FORMATS:
        raise Http404
    from anmin.stats import pack as packs  # the spreadsheet and PDF libraries: loaded only when exporting

    form = PackForm(request.GET)
    build = packs.pack_xlsx if fmt == "xlsx" else packs.pack_pdf
    try:
        if not form.is_valid():
            raise error_of(form)
        made = build(kind, request.user, period=form.cleaned_data["period"] or None)
    except ActionError as exc:
        # The builder page again, the message beside this pack's period box (whichever parameter
        # it names: a 环比 stepping out of range is still the period's fault here).
        today = timezone.localdate()
        context, _error = _report_context(request, _defaults(today))
        context.update(
            _choices(request.user),
            nav="stats",
            quick=quick_periods(today),
            packs=PACKS,
            pack_error={"kind": kind, "error": exc, "value": str(form["period"].value() or "")},
        )
        return render(request, "stats/builder.html", context, status=exc.status)
    security_event("export", request=request, data={"report": made.title, "format": fmt, "file": made.filename})
    return _download(made.content, fmt, made.filename)


# --- the drill-down ------------------------------------------------------------------------------


def _drill_figure(rep: report.Report, key: str, *, baseline: bool, part: str) -> tuple[report.Row | None, int, str]:
    """The row a drill-down link came from, the number it printed for (baseline, part) and the
    rollup column that number sums."""
    query = rep.query
    if key == "total":
        row = rep.total
    else:
        row = next((r for r in rep.rows if r.key == key), None)
        if row is None:
            if query.group_by in ("station", "branch", "org", "class"):
                raise ActionError(_("key「%(value)s」不是本报表的分组") % {"value": key[:40]}, field="key")
            return None, 0, query.metric.numerator  # a category or grid cell with nothing in the period
    metric = query.metric
    if not metric.is_ratio:
        if part == "denominator":
            raise ActionError(_("part：该指标不是比率，没有分母"), field="part")
        return row, row.baseline if baseline else row.value, metric.numerator
    if part == "value":
        raise ActionError(_("part：比率指标请指定 numerator（分子）或 denominator（分母）"), field="part")
    # An average's numerator is a sum of durations; its records are the denominator's.
    column = metric.denominator if (part == "denominator" or metric.minutes) else metric.numerator
    return row, row.parts["baseline" if baseline else "current"].get(column, 0), column


@login_required
def records(request):
    """明细: the records behind one figure of a report (?<report params>&key=&baseline=0|1&part=)."""
    _require_scope(request.user)
    form = RecordsForm(request.GET, user=request.user)
    context = {"nav": "stats", "error": None, "builder_url": reverse("stats:builder") + "?" + request.GET.urlencode()}
    try:
        if not form.is_valid():
            raise error_of(form)
        query = form.query()
        key, baseline, part = (form.cleaned_data[name] for name in ("key", "baseline", "part"))
        rep = report.run(query, request.user)
        row, figure, column = _drill_figure(rep, key, baseline=baseline, part=part)
        qs = report.records(query, request.user, key=key, baseline=baseline, part=part)
    except ActionError as exc:
        context["error"] = exc
        return render(request, "stats/records.html", context, status=exc.status)
    family = qs.model._meta.model_name  # incident, case, gridcell
    if family == "gridcell":
        qs = qs.select_related("jurisdiction")
    page = Paginator(qs, PAGE_SIZE).get_page(form.cleaned_data["page"])
    metric = query.metric
    if not metric.is_ratio:
        unit = metric.unit
    else:  # the records counted are incidents, cases or grid cells
        unit = _("个") if family in ("gridcell", "community") else _("起")
    period = query.baseline_period if baseline else query.period
    page_params = {k: v for k, v in request.GET.items() if k != "page"}
    context.update(
        key=key,
        baseline=baseline,
        part=part,
        query=query,
        rep=rep,
        row=row,
        row_label=row.label if row else _drill_label(query, key),
        figure=figure,
        figure_unit=unit,
        ratio_text=_fmt(row.baseline if baseline else row.value, metric) if metric.is_ratio and row else "",
        arrivals=family == "incident" and metric.numerator != "n",
        period=period,
        part_label=PART_LABELS.get(column, "") if metric.is_ratio else "",
        family=family,
        page=page,
        count=page.paginator.count,
        page_query=urlencode(page_params),
        back_url=builder_url(query),
    )
    return render(request, "stats/records.html", context)


def _drill_label(query: report.Query, key: str) -> str:
    """The heading of a group with nothing in the period (no row to take the label from)."""
    if query.group_by == "grid":
        return report.grid_names([key])[key]
    return key


# --- the leader's dashboard ----------------------------------------------------------------------


def dashboard_periods(today: date) -> list[tuple[str, str]]:
    """Periods to date: compared 同比 with the same dates a year earlier, so they are fair."""
    monday = today - timedelta(days=today.weekday())
    return [
        (_("今日"), today.isoformat()),
        (_("本周至今"), f"{monday.isoformat()}..{today.isoformat()}"),
        (_("本月至今"), f"{today.replace(day=1).isoformat()}..{today.isoformat()}"),
        (_("本年至今"), f"{today.replace(month=1, day=1).isoformat()}..{today.isoformat()}"),
    ]


@login_required
def dashboard(request):
    """领导驾驶舱: trend, 同比 by class, station ranking and the incident heat map; refreshed every 60 s."""
    _require_scope(request.user)
    today = timezone.localdate()
    choices = dashboard_periods(today)
    form = DashboardForm(request.GET)
    context = {"nav": "stats", "choices": choices, "data_url": reverse("stats:dashboard-data"), "error": None}
    if form.is_valid():
        period = form.cleaned_data["period"]
        context["period"] = period.code if period else choices[-1][1]
        return render(request, "stats/dashboard.html", context)
    # The page again on the default period, the refusal shown above the period buttons.
    context.update(period=choices[-1][1], error=error_of(form))
    return render(request, "stats/dashboard.html", context, status=400)


@login_required
def dashboard_data(request):
    """The dashboard's figures as JSON (?period=, default this year to date)."""
    _require_scope(request.user)
    user = request.user
    today = timezone.localdate()
    form = DashboardForm(request.GET)
    if not form.is_valid():
        exc = error_of(form)
        return JsonResponse({"detail": [exc.as_dict()]}, status=exc.status)
    period = form.cleaned_data["period"] or periods.parse(dashboard_periods(today)[-1][1])

    def query(metric: str, **kwargs) -> report.Query:
        return report.Query(metric=report.METRICS[metric], period=period, **kwargs)

    kpis = []
    for metric in ("incidents", "serious_violence", "on_time_rate", "clearance_rate"):
        q = query(metric, compare="yoy")
        total = report.run(q, user).total
        kpis.append(
            {
                "label": str(q.metric.label),
                "value": _fmt(total.value, q.metric),
                "unit": str(q.metric.unit),
                "change": report.change_text(total, "yoy", q.metric),
                "direction": _direction(total, q.metric),
                "href": builder_url(q),
            }
        )
    classes = report.run(query("incidents", compare="yoy", group_by="class"), user)
    ranking = report.run(query("incidents", compare="yoy", group_by="station"), user, rank=True)
    grid = report.run(query("incidents", group_by="grid"), user)
    return JsonResponse(
        {
            "period": {
                "code": period.code,
                "label": period.label,
                "baseline": periods.same_period_last_year(period).label,
            },
            "updated_at": timezone.localtime().strftime("%H:%M:%S"),
            "kpis": kpis,
            "trend": _trend(user, today),
            "classes": {
                "labels": [r.label for r in classes.rows],
                "current": [r.value for r in classes.rows],
                "baseline": [r.baseline for r in classes.rows],
                "links": [records_url(classes.query, r.key, baseline=False, part="value") for r in classes.rows],
            },
            "ranking": [
                {
                    "rank": r.rank,
                    "label": r.label,
                    "value": r.value,
                    "baseline": r.baseline,
                    "change": report.change_text(r, "yoy", ranking.query.metric),
                    "direction": _direction(r, ranking.query.metric),
                    "href": records_url(ranking.query, r.key, baseline=False, part="value"),
                }
                for r in ranking.rows[:RANKING_ROWS]
            ],
            "grid": _heat(grid),
        }
    )


def _direction(row: report.Row, metric: report.Metric) -> str:
    """CSS classes for a change: up/down, and good/bad where the metric says which way is better."""
    if not row.change or (row.change_pct is None and not metric.is_ratio):
        return ""  # no baseline to compare with: printed as —, not as a rise
    up = row.change > 0
    word = "up" if up else "down"
    if metric.code in RISE_IS_GOOD:
        return f"{word} {'good' if up else 'bad'}"
    if metric.code in RISE_IS_BAD:
        return f"{word} {'bad' if up else 'good'}"
    return word


def _trend(user, today: date) -> dict:
    """Incidents per month of this year against the same months of last year. This month so far is
    a point of its own: on a line with the whole months it would look like a collapse."""
    this_year, so_far, last_year = [], [], []
    for month in range(1, 13):
        q = report.Query(metric=report.METRICS["incidents"], period=periods.month(today.year, month), compare="yoy")
        total = report.run(q, user).total
        this_year.append(total.value if month < today.month else None)
        so_far.append(total.value if month == today.month else None)
        last_year.append(total.baseline)
    return {
        "months": [_("%(m)d月") % {"m": m} for m in range(1, 13)],
        "this_year": {"name": _("%(y)d年") % {"y": today.year}, "data": this_year},
        "so_far": {"name": _("本月至今（截至%(d)d日）") % {"d": today.day}, "data": so_far},
        "last_year": {"name": _("%(y)d年") % {"y": today.year - 1}, "data": last_year},
    }


def _heat(rep: report.Report) -> dict:
    """Incidents per grid cell (cells with none are left out). The outlines come from the cells
    endpoint, fetched once: a bureau has some ten thousand cells and they do not change by the minute."""
    counts = {row.key: row.value for row in rep.rows if row.value}
    return {
        "counts": counts,
        "max": max(counts.values(), default=0),
        "records": reverse("stats:records") + "?" + urlencode(rep.query.params(baseline=0, part="value")) + "&key=",
    }


@login_required
def dashboard_cells(request):
    """The outlines of the grid cells in the user's scope, for the heat map (cached by the browser)."""
    _require_scope(request.user)
    cells = GridCell.objects.visible_to(request.user).order_by("h3").values_list("h3", "jurisdiction_id", "name")
    stations = set()
    outlines = []
    # [H3 index (the key the counts and the drill-down use), station, outline, the name the tooltip shows]
    for cell, station, name in cells.iterator(chunk_size=5000):
        stations.add(station)
        flat = [round(x, 5) for point in h3.cell_to_boundary(cell) for x in point]
        outlines.append([cell, station, flat, name])
    names = dict(Organization.objects.filter(pk__in=stations).values_list("pk", "name"))
    response = JsonResponse({"cells": outlines, "stations": {str(pk): name for pk, name in names.items()}})
    response["Cache-Control"] = "private, max-age=3600"
    return response
