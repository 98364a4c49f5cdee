"""The report engine: a metric over a period, compared (同比/环比), grouped and filtered.

Every figure is a sum over the rollup tables (`models.py`); `records()` returns the raw records behind
any figure, and its count equals the figure (the drill-down, 零差错). Both go through one `Query`, so
the two cannot disagree about what a filter means.

Scope: an officer sees figures for their own organization's subtree (a station its station, a branch
its stations, the bureau everything), the same `scope_path()` as every list in the system. An
incident counts for the station whose jurisdiction it fell in.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Q, Sum
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.core.errors import ActionError, Denied
from anmin.stats import periods
from anmin.stats.models import (
    CaseDay,
    CaseMonth,
    CellDay,
    CellMonth,
    IncidentDay,
    IncidentMonth,
    SurveyDay,
    SurveyMonth,
)
from anmin.stats.periods import Period
from anmin.stats.rollups import day_bounds


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    family: str  # incident, case, cell, survey, community
    numerator: str  # a value column of the family's tables
    denominator: str | None = None  # a ratio (percent) when set
    unit: str = "起"
    kind: str | None = None  # cases: criminal / administrative
    serious_only: bool = False
    minutes: bool = False  # numerator is microseconds, shown as minutes per denominator

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None


METRICS = {
    m.code: m
    for m in (
        Metric("incidents", gettext_lazy("警情数"), "incident", "n"),
        Metric("serious_violence", gettext_lazy("八类严重暴力警情"), "incident", "n", serious_only=True),
        Metric("arrived", gettext_lazy("到场警情数"), "incident", "arrived"),
        Metric("on_time_rate", gettext_lazy("按时到场率"), "incident", "on_time", "arrived", unit="%"),
        Metric(
            "arrival_minutes",
            gettext_lazy("平均到场时长"),
            "incident",
            "arrival_micros",
            "arrived",
            unit=gettext_lazy("分钟"),
            minutes=True,
        ),
        Metric("cases_accepted", gettext_lazy("受案数"), "case", "accepted", unit=gettext_lazy("起")),
        Metric("cases_filed", gettext_lazy("刑事立案数"), "case", "filed", kind="criminal"),
        Metric("cases_solved", gettext_lazy("刑事破案数"), "case", "solved", kind="criminal"),
        Metric("clearance_rate", gettext_lazy("破案率"), "case", "solved", "filed", unit="%", kind="criminal"),
        Metric("zero_incident_rate", gettext_lazy("零发案网格占比"), "cell", "zero", "cells", unit="%"),
        # 零发案小区率: 小区 with no 刑事/治安 警情 in the period ÷ 小区 (anmin.communities.stats).
        Metric(
            "zero_community_rate", gettext_lazy("零发案小区率"), "community", "zero_compounds", "compounds", unit="%"
        ),
        # 满意率 = (满意 + 基本满意) / 答复数; "pleased" is that sum, added by _survey_sums.
        Metric("satisfaction_rate", gettext_lazy("群众满意率"), "survey", "pleased", "answered", unit="%"),
        Metric("surveys_answered", gettext_lazy("回访答复数"), "survey", "answered", unit=gettext_lazy("件")),
        Metric("surveys_dissatisfied", gettext_lazy("不满意数"), "survey", "dissatisfied", unit=gettext_lazy("件")),
    )
}

#: Groups of categories that reports name (传统侵财类、电信网络诈骗…), by category code; a class code
#: ("01") stands for all its sub-categories.
CATEGORY_GROUPS = {
    "serious_violence": (gettext_lazy("八类严重暴力"), None),
    "property": (gettext_lazy("传统侵财类（盗抢骗）"), ("0106", "0110", "0111", "0112", "0113", "0115")),
    "telecom_fraud": (gettext_lazy("电信网络诈骗"), ("0114",)),
    "two_robberies_one_theft": (gettext_lazy("两抢一盗"), ("0106", "0115", "0110", "0111", "0112")),
}

GROUP_BY = {
    "": gettext_lazy("合计"),
    "class": gettext_lazy("警情类别"),
    "category": gettext_lazy("警情细类"),
    "org": gettext_lazy("下级单位"),
    "branch": gettext_lazy("分局/县局"),
    "station": gettext_lazy("派出所"),
    "grid": gettext_lazy("网格"),
    "officer": gettext_lazy("责任民警"),
    "service_item": gettext_lazy("服务事项"),
}
#: Groupings only the satisfaction metrics have (their rollups carry officer and service item).
SURVEY_ONLY_GROUPS = ("officer", "service_item")


@dataclass
class Query:
    metric: Metric
    period: Period
    compare: str | None = None
    group_by: str = ""
    klass: str = ""
    category: str = ""  # a code
    group: str = ""  # a CATEGORY_GROUPS key
    org: int | None = None  # an organization id (its subtree)
    grid: str = ""  # an H3 cell (the builder takes its name; the index is never shown)

    @property
    def baseline_period(self) -> Period | None:
        return periods.baseline(self.period, self.compare)

    def params(self, **override) -> dict:
        """The query as URL parameters (the drill-down links and the API carry the same words)."""
        out = {
            "metric": self.metric.code,
            "period": self.period.code,
            "compare": self.compare or "",
            "group_by": self.group_by,
            "class": self.klass,
            "category": self.category,
            "group": self.group,
            "org": self.org or "",
            "grid": self.grid,
        }
        out.update(override)
        return {k: v for k, v in out.items() if v not in ("", None)}


def parse_query(data, user) -> Query:
    """Build a Query from request parameters (a QueryDict or a dict), naming the field of any error.

    The checks live in `forms.ReportForm`, which the pages and the API read their query strings
    through; this is the same form for code that has the parameters as a dict."""
    from anmin.stats.forms import ReportForm, read  # the form module reads METRICS from this one

    return read(ReportForm, data, user).query()


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- organizations and categories ------------------------------------------------------------------


class Tree:
    """The organization tree and the category table, loaded once per report."""

    def __init__(self):
        from anmin.incidents.models import Category
        from anmin.org.models import Organization

        self.orgs = {o.pk: o for o in Organization.objects.only("pk", "name", "short_name", "path", "kind", "code")}
        self.categories = {c.pk: c for c in Category.objects.all()}
        self.by_code = {c.code: c for c in self.categories.values()}
        # The bureau: the root of the tree (the shortest path).
        self.root_path = min((o.path for o in self.orgs.values()), key=len, default="/")

    def path_ids(self, org_id: int) -> list[int]:
        org = self.orgs.get(org_id)
        return [int(p) for p in org.path.strip("/").split("/")] if org else []

    def ancestor_of_kind(self, org_id: int, kind: str) -> int | None:
        for pk in self.path_ids(org_id):
            if self.orgs[pk].kind == kind:
                return pk
        return None

    def child_under(self, org_id: int, root_path: str) -> int | None:
        """The child of the root (the org at depth root+1) that org_id lies under, or the root itself."""
        ids = self.path_ids(org_id)
        depth = len([p for p in root_path.strip("/").split("/") if p])
        if depth < len(ids):
            return ids[depth]
        return ids[-1] if ids else None

    def label(self, org_id) -> str:
        org = self.orgs.get(org_id)
        return org.label if org else _("（未知单位）")


def scope_of(query: Query, user, tree: Tree) -> str:
    """The organization-path prefix the figures are limited to ('' for everything)."""
    from anmin.org.models import scope_path

    path = scope_path(user)
    if path is None:
        raise Denied(_("无权查看统计"))
    if query.org:
        return tree.orgs[query.org].path
    return path


def category_ids(query: Query, tree: Tree) -> set[int] | None:
    """The categories the filters admit (None: all)."""
    chosen = None
    metric = query.metric
    if query.klass:
        chosen = {pk for pk, c in tree.categories.items() if c.klass == query.klass}
    if query.category:
        base = tree.by_code[query.category]
        ids = {pk for pk, c in tree.categories.items() if c.pk == base.pk or c.parent_id == base.pk}
        chosen = ids if chosen is None else chosen & ids
    groups = [query.group] if query.group else []
    if metric.serious_only:
        groups.append("serious_violence")
    for group in groups:
        codes = CATEGORY_GROUPS[group][1]
        if codes is None:
            ids = {pk for pk, c in tree.categories.items() if c.serious_violence}
        else:
            ids = {
                pk
                for pk, c in tree.categories.items()
                if c.code in codes or (c.parent_id and tree.categories[c.parent_id].code in codes)
            }
        chosen = ids if chosen is None else chosen & ids
    return chosen


def org_ids(scope: str, tree: Tree) -> set[int] | None:
    if not scope:
        return None
    return {pk for pk, o in tree.orgs.items() if o.path.startswith(scope)}


# --- the figures ---------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    value: object
    baseline: object = None
    change: object = None
    change_pct: float | None = None
    rank: int | None = None
    parts: dict = field(default_factory=dict)  # numerator/denominator, current and baseline

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "baseline": self.baseline,
            "change": self.change,
            "change_pct": self.change_pct,
            "rank": self.rank,
        }


@dataclass
class Report:
    query: Query
    rows: list[Row]
    total: Row

    @property
    def title(self) -> str:
        return str(self.query.metric.label)


def _sums(query: Query, period: Period, user, tree: Tree) -> dict[str, dict[str, int]]:
    """Group key → {column: sum} for one period, from the rollup tables."""
    metric = query.metric
    scope = scope_of(query, user, tree)
    if metric.family == "community":
        from anmin.communities.stats import sums as community_sums

        return community_sums(period, scope, _grouper(query, scope, tree))
    if metric.family == "cell" or query.grid or query.group_by == "grid":
        return _cell_sums(query, period, scope, tree)
    if metric.family == "survey":
        return _survey_sums(query, period, scope, tree)
    columns, rows = rollup_rows(query, period, scope, tree)
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    grouper = _grouper(query, scope, tree)
    for org, category, sums in rows:
        bucket = out[grouper(org, category)]
        for c in columns:
            bucket[c] += sums[c]
    return out


def rollup_rows(
    query: Query, period: Period, scope: str, tree: Tree
) -> tuple[tuple[str, ...], Iterator[tuple[int | None, int | None, dict[str, int]]]]:
    """The incident or case rollup sums for one period within `scope`: (the columns, rows of
    (organization, category, {column: sum})), from month rows for whole months and day rows for
    the rest. An (organization, category) pair may come twice, once per table; callers add."""
    metric = query.metric
    if metric.family == "incident":
        day_model, month_model, org_column = IncidentDay, IncidentMonth, "station_id"
        columns: tuple[str, ...] = ("n", "arrived", "on_time", "arrival_micros")
    else:
        day_model, month_model, org_column = CaseDay, CaseMonth, "organization_id"
        columns = ("accepted", "filed", "solved")
    filters = Q()
    orgs = org_ids(scope, tree)
    if orgs is not None:
        filters &= Q(**{f"{org_column}__in": orgs})
    cats = category_ids(query, tree)
    if cats is not None:
        filters &= Q(category_id__in=cats)
    if metric.kind:
        filters &= Q(kind=metric.kind)
    months, ranges = periods.split(period)
    parts = []
    if months:
        parts.append(month_model.objects.filter(filters, month__in=months))
    for start, end in ranges:
        parts.append(day_model.objects.filter(filters, day__gte=start, day__lte=end))

    def rows():
        for qs in parts:
            for row in qs.values(org_column, "category_id").annotate(**{c: Sum(c) for c in columns}):
                yield row[org_column], row["category_id"], {c: row[c] or 0 for c in columns}

    return columns, rows()


def _grouper(query: Query, scope: str, tree: Tree):
    by = query.group_by
    if by == "class":
        return lambda org, cat: tree.categories[cat].klass if cat else "none"
    if by == "category":
        return lambda org, cat: tree.categories[cat].code if cat else "none"
    if by == "station":
        return lambda org, cat: str(org)
    if by == "branch":
        return lambda org, cat: str(tree.ancestor_of_kind(org, "branch") or org)
    if by == "org":
        return lambda org, cat: str(tree.child_under(org, scope or tree.root_path))
    return lambda org, cat: "total"


def _survey_sums(query: Query, period: Period, scope: str, tree: Tree) -> dict[str, dict[str, int]]:
    """Per group: satisfied, basic, dissatisfied, answered, and pleased (满意 + 基本满意)."""
    columns = ("satisfied", "basic", "dissatisfied", "answered")
    filters = Q()
    orgs = org_ids(scope, tree)
    if orgs is not None:
        filters &= Q(organization_id__in=orgs)
    months, ranges = periods.split(period)
    parts = []
    if months:
        parts.append(SurveyMonth.objects.filter(filters, month__in=months))
    for start, end in ranges:
        parts.append(SurveyDay.objects.filter(filters, day__gte=start, day__lte=end))
    by = query.group_by
    org_grouper = _grouper(query, scope, tree)
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*columns, "pleased"), 0))
    for qs in parts:
        for row in qs.values("organization_id", "officer_id", "service_item_id").annotate(
            **{c: Sum(c) for c in columns}
        ):
            if by == "officer":
                key = str(row["officer_id"])
            elif by == "service_item":
                key = str(row["service_item_id"])
            else:
                key = org_grouper(row["organization_id"], None)
            bucket = out[key]
            for c in columns:
                bucket[c] += row[c] or 0
            bucket["pleased"] += (row["satisfied"] or 0) + (row["basic"] or 0)
    return out


def _cell_sums(query: Query, period: Period, scope: str, tree: Tree) -> dict[str, dict[str, int]]:
    """Per group: incidents (n), cells with incidents, all cells, cells with none (zero)."""
    from anmin.geo.models import GridCell

    cells = GridCell.objects.all()
    if scope:
        cells = cells.filter(jurisdiction__path__startswith=scope)
    if query.grid:
        cells = cells.filter(h3=query.grid)
    home = dict(cells.values_list("h3", "jurisdiction_id"))
    filters = Q(cell__in=list(home)) if (scope or query.grid) else Q()
    if query.klass:
        filters &= Q(klass=query.klass)
    months, ranges = periods.split(period)
    parts = []
    if months:
        parts.append(CellMonth.objects.filter(filters, month__in=months))
    for start, end in ranges:
        parts.append(CellDay.objects.filter(filters, day__gte=start, day__lte=end))
    counts: dict[str, int] = defaultdict(int)
    for qs in parts:
        for row in qs.values("cell").annotate(total=Sum("n")):
            counts[row["cell"]] += row["total"] or 0
    by = query.group_by
    grouper = _grouper(query, scope, tree)
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "hit": 0, "cells": 0, "zero": 0})
    for cell, station in home.items():
        if by == "grid":
            key = cell
        elif by in ("class", "category"):
            key = query.klass or "total"
        else:
            key = grouper(station, None)
        bucket = out[key]
        n = counts.get(cell, 0)
        if by == "grid" and not n:
            continue
        bucket["n"] += n
        bucket["cells"] += 1
        bucket["hit" if n else "zero"] += 1
    if by == "class" and not query.klass:
        # One row per class: a cell's incidents of that class, and for the 零发案 share a cell is
        # "zero" for a class if it had no incident of that class.
        out = defaultdict(lambda: {"n": 0, "hit": 0, "cells": 0, "zero": 0})
        per_class: dict[tuple[str, str], int] = defaultdict(int)
        for qs in parts:
            for row in qs.values("cell", "klass").annotate(total=Sum("n")):
                per_class[(row["cell"], row["klass"])] += row["total"] or 0
        from anmin.incidents.models import IncidentClass

        for klass in IncidentClass.values:
            bucket = out[klass]
            for cell in home:
                n = per_class.get((cell, klass), 0)
                bucket["n"] += n
                bucket["cells"] += 1
                bucket["hit" if n else "zero"] += 1
    return out


def _figure(metric: Metric, sums: dict[str, int] | None):
    """The printed value of a metric from its column sums (an exact Fraction for ratios)."""
    sums = sums or {}
    numerator = sums.get(metric.numerator, 0)
    if metric.family == "cell" and not metric.is_ratio:
        numerator = sums.get("n", 0)
    if not metric.is_ratio:
        return numerator
    denominator = sums.get(metric.denominator, 0)
    if not denominator:
        return None
    if metric.minutes:
        return Fraction(numerator, denominator * 60_000_000)
    return Fraction(numerator * 100, denominator)


def _round(value) -> float | int | None:
    """Two decimals, rounded half up (四舍五入) as Chinese reports print them."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _change(value, baseline):
    if value is None or baseline is None:
        return None, None
    change = value - baseline
    pct = None if baseline == 0 else Fraction(change) * 100 / Fraction(baseline)
    return change, pct


def _labels(query: Query, keys, tree: Tree) -> dict[str, str]:
    from anmin.incidents.models import IncidentClass

    by = query.group_by
    out = {}
    for key in keys:
        if key == "total":
            out[key] = _("合计")
        elif by == "class":
            out[key] = str(IncidentClass(key).label) if key in IncidentClass.values else _("未分类")
        elif by == "category":
            category = tree.by_code.get(key)
            out[key] = f"{category.code} {category.name}" if category else _("未分类")
        elif by in ("station", "branch", "org"):
            out[key] = tree.label(int(key))
        elif by in SURVEY_ONLY_GROUPS:
            out.update(_survey_labels(by, keys))
        elif by == "grid":
            out.update(grid_names(keys))
        else:
            out[key] = key
    return out


#: Cells named per query (a bureau groups ten thousand of them; SQLite binds up to 32,766 values).
GRID_NAME_BATCH = 5000


def grid_names(cells) -> dict[str, str]:
    """H3 index → the cell's name (河西所第17网格), which already says its station: the index
    itself is never a label."""
    from anmin.geo.models import GridCell

    wanted = [c for c in dict.fromkeys(cells) if c != "total"]
    out: dict[str, str] = {}
    for start in range(0, len(wanted), GRID_NAME_BATCH):
        batch = wanted[start : start + GRID_NAME_BATCH]
        out.update(GridCell.objects.filter(h3__in=batch).values_list("h3", "name"))
    unknown = _("（未知网格）")
    return {c: out.get(c) or unknown for c in wanted}


def _survey_labels(by: str, keys) -> dict[str, str]:
    """Officers by name and badge number, service items by name; 0 is "none recorded"."""
    from django.apps import apps

    ids = [int(k) for k in keys if k not in ("total", "0") and k.isdigit()]
    names: dict[int, str] = {}
    if by == "officer":
        from anmin.org.models import Officer

        names = {o.pk: str(o) for o in Officer.objects.filter(pk__in=ids)}
        none = _("（未关联民警）")
    else:
        if apps.is_installed("anmin.services"):
            item = apps.get_model("services", "ServiceItem")
            names = dict(item.objects.filter(pk__in=ids).values_list("pk", "name"))
        none = _("（非政务服务事项）")
    return {k: none if k == "0" else names.get(_int_or_zero(k), k) for k in keys if k != "total"}


def _all_keys(query: Query, scope: str, tree: Tree) -> list[str]:
    """Groups listed even when they have nothing (an organization with 0 must appear in a ranking)."""
    from anmin.incidents.models import IncidentClass
    from anmin.org.models import Organization

    by = query.group_by
    if by == "class":
        return [query.klass] if query.klass else list(IncidentClass.values)
    root = scope or tree.root_path
    inside = [o for o in tree.orgs.values() if o.path.startswith(root)]
    territorial = (Organization.Kind.BRANCH, Organization.Kind.STATION)
    if by == "station":
        return [str(o.pk) for o in inside if o.kind == Organization.Kind.STATION]
    if by == "branch":
        return [str(o.pk) for o in inside if o.kind == Organization.Kind.BRANCH]
    if by == "org":
        depth = len(root.strip("/").split("/"))
        return [str(o.pk) for o in inside if o.kind in territorial and len(o.path.strip("/").split("/")) == depth + 1]
    return []


def run(query: Query, user, *, rank: bool = False) -> Report:
    """The report: one row per group (value, baseline, change, change in percent) and the total."""
    tree = Tree()
    scope = scope_of(query, user, tree)
    current = _sums(query, query.period, user, tree)
    base_period = query.baseline_period
    previous = _sums(query, base_period, user, tree) if base_period else {}
    keys = list(dict.fromkeys([*_all_keys(query, scope, tree), *current.keys(), *previous.keys()]))
    if not query.group_by:
        keys = ["total"]
    labels = _labels(query, keys, tree)
    metric = query.metric
    rows = [
        _row(metric, key, labels[key], current.get(key), previous.get(key), base_period is not None) for key in keys
    ]
    total_current = _total(current)
    total_previous = _total(previous)
    if metric.family == "cell" and query.group_by == "class":
        # Rows count (cell, class) pairs; the total counts cells, as its drill-down does.
        overall = replace(query, group_by="")
        total_current = _sums(overall, query.period, user, tree).get("total", {})
        total_previous = _sums(overall, base_period, user, tree).get("total", {}) if base_period else {}
    total = _row(metric, "total", _("合计"), total_current, total_previous, base_period is not None)
    if query.group_by in ("category", "grid", *SURVEY_ONLY_GROUPS):
        rows.sort(key=lambda r: (-(r.value or 0), r.key))
    if rank:
        rows = ranked(rows)
    return Report(query=query, rows=rows, total=total)


def ranked(rows: list[Row]) -> list[Row]:
    """`rows` from the highest value down, numbered as Chinese rankings are (并列): equal values
    share a place and the next value skips the places they took (1, 2, 2, 4). Rows without a
    value (a ratio with no denominator) come last, sharing the last place."""
    ordered = sorted(rows, key=lambda r: (r.value is None, -(r.value or 0)))
    position, last = 0, object()
    for index, row in enumerate(ordered, start=1):
        if row.value != last:
            position, last = index, row.value
        row.rank = position
    return ordered


def _total(groups: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for sums in groups.values():
        for column, value in sums.items():
            total[column] += value
    return total


def _row(metric: Metric, key: str, label: str, current, previous, compared: bool) -> Row:
    value = _figure(metric, current)
    baseline = _figure(metric, previous) if compared else None
    change, pct = _change(value, baseline) if compared else (None, None)
    return Row(
        key=key,
        label=label,
        value=_round(value) if value is not None else (0 if not metric.is_ratio else None),
        baseline=_round(baseline),
        change=_round(change),
        change_pct=_round(pct),
        parts={"current": dict(current or {}), "baseline": dict(previous or {})},
    )


def change_text(row: Row, compare: str | None, metric: Metric) -> str:
    """同比上升 12.50%, 环比下降 9.88%, 同比持平, or — where the baseline is zero."""
    if not compare:
        return ""
    word = _("同比") if compare == "yoy" else _("环比")
    if row.baseline is None or row.change is None:
        return "—"
    if not (metric.is_ratio and metric.unit == "%") and row.change_pct is None:
        return "—"  # a zero baseline: no percentage, as printed reports show it
    if row.change == 0:
        return _("%(word)s持平") % {"word": word}
    direction = _("上升") if row.change > 0 else _("下降")
    if metric.is_ratio and metric.unit == "%":
        return _("%(word)s%(direction)s %(points)s 个百分点") % {
            "word": word,
            "direction": direction,
            "points": f"{abs(row.change):.2f}",
        }
    if row.change_pct is None:
        return "—"
    return _("%(word)s%(direction)s %(pct)s%%") % {
        "word": word,
        "direction": direction,
        "pct": f"{abs(row.change_pct):.2f}",
    }


# --- drill-down ----------------------------------------------------------------------------------


def valid_incidents(low, high):
    """有效警情 received in [low, high): the records the incident rollups count."""
    from anmin.incidents.models import Incident

    return Incident.objects.exclude(status=Incident.Status.CANCELLED).filter(received_at__gte=low, received_at__lt=high)


PARTS = ("value", "numerator", "denominator")
#: Grid cells listed by station, then by number (第2网格 before 第10网格: the name's length first).
CELL_ORDER = ("jurisdiction__code", Length("name"), "name", "h3")


def records(query: Query, user, *, key: str = "total", baseline: bool = False, part: str = "value"):
    """The raw records behind one figure: a queryset whose count equals the number printed (for a
    ratio, `part` chooses the numerator or the denominator records)."""
    from anmin.cases.models import Case
    from anmin.geo.models import GridCell
    from anmin.incidents.models import Incident

    if part not in PARTS:
        raise ActionError(_("part 应为 numerator 或 denominator"), field="part")
    period = query.baseline_period if baseline else query.period
    if period is None:
        raise ActionError(_("未指定对比方式，没有基期数据"), field="baseline")
    tree = Tree()
    scope = scope_of(query, user, tree)
    metric = query.metric
    column = metric.denominator if part == "denominator" else metric.numerator
    low, high = day_bounds(period.start, period.end)
    if metric.family == "community":
        from anmin.communities.stats import records as community_records

        return _org_key_filter(community_records(period, scope, column), "station", query, key, tree, scope)
    if metric.family == "cell":
        cells = GridCell.objects.all()
        if scope:
            cells = cells.filter(jurisdiction__path__startswith=scope)
        if query.grid:
            cells = cells.filter(h3=query.grid)
        cells = _org_key_filter(cells, "jurisdiction", query, key, tree, scope)
        if column == "cells":
            return cells.order_by(*CELL_ORDER)
        hit = Incident.objects.exclude(status=Incident.Status.CANCELLED).filter(
            received_at__gte=low, received_at__lt=high
        )
        klass = query.klass or (key if query.group_by == "class" and key != "total" else "")
        if klass:
            hit = hit.filter(category__klass=klass)
        return cells.exclude(h3__in=hit.values("grid_cell_id")).order_by(*CELL_ORDER)
    if metric.family == "survey":
        return _survey_records(query, column, low, high, key, tree, scope)
    cats = category_ids(query, tree)
    if metric.family == "incident":
        qs = Incident.objects.exclude(status=Incident.Status.CANCELLED).filter(
            received_at__gte=low, received_at__lt=high
        )
        if scope:
            qs = qs.filter(station__path__startswith=scope)
        if cats is not None:
            qs = qs.filter(category_id__in=cats)
        if query.grid:
            qs = qs.filter(grid_cell_id=query.grid)
        if column in ("arrived", "arrival_micros"):
            qs = qs.filter(arrived_at__isnull=False)
        elif column == "on_time":
            from django.db.models import F

            qs = qs.filter(arrived_at__lte=F("arrival_due_at"))
        qs = _group_filter(qs, "station", query, key, tree, scope)
        return qs.select_related("category", "station").order_by("-received_at", "-pk")
    date_field = {"accepted": "accepted_at", "filed": "filed_at", "solved": "solved_at"}[column]
    qs = Case.objects.filter(**{f"{date_field}__gte": low, f"{date_field}__lt": high})
    if scope:
        qs = qs.filter(organization__path__startswith=scope)
    if cats is not None:
        qs = qs.filter(category_id__in=cats)
    if metric.kind:
        qs = qs.filter(kind=metric.kind)
    qs = _group_filter(qs, "organization", query, key, tree, scope)
    return qs.select_related("category", "organization").order_by(f"-{date_field}", "-pk")


def _survey_records(query: Query, column: str, low, high, key: str, tree: Tree, scope: str):
    """The answered surveys behind a satisfaction figure (numerator of 满意率: 满意 and 基本满意)."""
    from anmin.feedback.models import Rating, Survey

    qs = Survey.objects.filter(answered_at__gte=low, answered_at__lt=high, answered_at__isnull=False)
    if scope:
        qs = qs.filter(organization__path__startswith=scope)
    ratings = {
        "pleased": (Rating.SATISFIED, Rating.BASIC),
        "satisfied": (Rating.SATISFIED,),
        "basic": (Rating.BASIC,),
        "dissatisfied": (Rating.DISSATISFIED,),
    }.get(column, tuple(Rating.values))
    qs = qs.filter(rating__in=ratings)
    if key != "total" and query.group_by in SURVEY_ONLY_GROUPS:
        if not (key.isascii() and key.isdigit() and len(key) <= 18):  # an id the database can bind
            raise ActionError(_("key「%(value)s」不是本报表的分组") % {"value": key[:40]}, field="key")
        field_name = "officer_id" if query.group_by == "officer" else "service_item_id"
        qs = qs.filter(**{f"{field_name}__isnull": True}) if key == "0" else qs.filter(**{field_name: int(key)})
    else:
        qs = _org_key_filter(qs, "organization", query, key, tree, scope)
    return qs.select_related("organization", "officer").order_by("-answered_at", "-pk")


def _group_filter(qs, org_field: str, query: Query, key: str, tree: Tree, scope: str):
    by = query.group_by
    if key == "total" or not by:
        return qs
    if by in ("class", "category") and key == "none":
        return qs.filter(category__isnull=True)  # 未分类 (cases registered without a category)
    if by == "class":
        return qs.filter(category__klass=key)
    if by == "category":
        return qs.filter(category__code=key)
    if by == "grid":
        return qs.filter(grid_cell_id=key)
    return _org_key_filter(qs, org_field, query, key, tree, scope)


def _org_key_filter(qs, org_field: str, query: Query, key: str, tree: Tree, scope: str):
    by = query.group_by
    if key == "total" or by not in ("station", "branch", "org"):
        return qs
    org = tree.orgs.get(_int_or_zero(key))
    if org is None:
        raise ActionError(_("key「%(value)s」不是本报表的分组") % {"value": key[:40]}, field="key")
    if by == "station":
        return qs.filter(**{f"{org_field}_id": org.pk})
    if by == "org" and org.path == (scope or tree.root_path):
        return qs.filter(**{f"{org_field}_id": org.pk})
    return qs.filter(**{f"{org_field}__path__startswith": org.path})
