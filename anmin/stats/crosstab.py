"""Two-way tables (交叉统计): a metric by two dimensions at once, e.g. 警情 by 派出所 × 警情类别.

`report.run` groups by one dimension, so a table of stations × classes through it is one report per
class: eight reports, sixteen queries. Here the same rollup rows are read with one GROUP BY over
(organization, category) per period part and folded into both dimensions in Python. The filters,
the scope, the keys, the labels and the arithmetic are `report`'s own helpers, so every cell is the
figure the one-dimensional report prints for it (`group_by=<rows>` with `class=<col>`).
"""

from collections import defaultdict
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _

from anmin.core.errors import ActionError
from anmin.stats.periods import Period
from anmin.stats.report import (
    Query,
    Tree,
    _all_keys,
    _grouper,
    _labels,
    _row,
    _total,
    rollup_rows,
    scope_of,
)

#: Dimensions a crosstab can put on its rows (organizations) and its columns (categories).
ROW_DIMENSIONS = ("station", "branch", "org")
COL_DIMENSIONS = ("class", "category")

Sums = dict[str, int]


def crosstab(query: Query, user, rows: str = "station", cols: str = "class") -> dict[str, Any]:
    """The query's metric for every (rows, cols) pair, with its baseline and change, plus the row,
    column and grand totals.

    Returns {"rows": [{key, label}], "cols": [{key, label}], "cells": {row key: {col key: figure}},
    "row_totals": {row key: figure}, "col_totals": {col key: figure}, "total": figure, "period",
    "baseline_period"}, where a figure is {value, baseline, change, change_pct} as in a report row.
    The query's own `group_by` is ignored; its filters (class, category, group, org) apply.
    """
    if rows not in ROW_DIMENSIONS:
        raise ActionError(
            _("rows「%(value)s」无效，可选：%(choices)s") % {"value": rows[:40], "choices": "、".join(ROW_DIMENSIONS)},
            field="rows",
        )
    if cols not in COL_DIMENSIONS:
        raise ActionError(
            _("cols「%(value)s」无效，可选：%(choices)s") % {"value": cols[:40], "choices": "、".join(COL_DIMENSIONS)},
            field="cols",
        )
    metric = query.metric
    if metric.family in ("cell", "community") or query.grid:
        raise ActionError(_("交叉统计不支持网格指标或按网格筛选"), field="metric")

    tree = Tree()
    scope = scope_of(query, user, tree)
    by_rows, by_cols = replace(query, group_by=rows), replace(query, group_by=cols)
    row_of, col_of = _grouper(by_rows, scope, tree), _grouper(by_cols, scope, tree)

    current = _sums(query, query.period, scope, tree, row_of, col_of)
    base_period = query.baseline_period
    previous = _sums(query, base_period, scope, tree, row_of, col_of) if base_period else {}
    compared = base_period is not None

    row_keys = _keys(by_rows, scope, tree, (r for r, _c in (*current, *previous)))
    col_keys = _keys(by_cols, scope, tree, (c for _r, c in (*current, *previous)))
    row_labels, col_labels = _labels(by_rows, row_keys, tree), _labels(by_cols, col_keys, tree)

    def figure(key: str, now: Sums | None, before: Sums | None) -> dict[str, Any]:
        row = _row(metric, key, "", now, before, compared)
        return {"value": row.value, "baseline": row.baseline, "change": row.change, "change_pct": row.change_pct}

    def totals(sums: dict[tuple[str, str], Sums], side: int) -> dict[str, Sums]:
        grouped: dict[str, dict] = defaultdict(dict)
        for pair, values in sums.items():
            grouped[pair[side]][pair] = values
        return {key: _total(part) for key, part in grouped.items()}

    row_now, row_before = totals(current, 0), totals(previous, 0)
    col_now, col_before = totals(current, 1), totals(previous, 1)
    return {
        "metric": metric.code,
        "period": query.period.code,
        "baseline_period": base_period.code if base_period else None,
        "rows": [{"key": k, "label": row_labels[k]} for k in row_keys],
        "cols": [{"key": k, "label": col_labels[k]} for k in col_keys],
        "cells": {r: {c: figure(c, current.get((r, c)), previous.get((r, c))) for c in col_keys} for r in row_keys},
        "row_totals": {r: figure(r, row_now.get(r), row_before.get(r)) for r in row_keys},
        "col_totals": {c: figure(c, col_now.get(c), col_before.get(c)) for c in col_keys},
        "total": figure("total", _total(current), _total(previous)),
    }


def _keys(query: Query, scope: str, tree: Tree, seen) -> list[str]:
    """Every group the one-dimensional report would list (an organization with 0 included)."""
    return list(dict.fromkeys([*_all_keys(query, scope, tree), *seen]))


def _sums(query: Query, period: Period, scope: str, tree: Tree, row_of, col_of) -> dict[tuple[str, str], Sums]:
    """(row key, col key) → {column: sum} for one period: `report._sums` with two keys instead of one."""
    columns, rows = rollup_rows(query, period, scope, tree)
    out: dict[tuple[str, str], Sums] = defaultdict(lambda: dict.fromkeys(columns, 0))
    for org, category, sums in rows:
        bucket = out[(row_of(org, category), col_of(org, category))]
        for c in columns:
            bucket[c] += sums[c]
    return out
