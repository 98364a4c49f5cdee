"""零发案小区率 for the statistics engine: its sums per group and the records behind them.

The statistics' report engine (`anmin.stats.report`) asks these for the metric's family
"community"; everything is counted from the records by `places` when asked, nothing is rolled up or
stored, so a corrected outline or a cancelled call changes the figure at once.
"""

from collections import defaultdict
from collections.abc import Callable

from anmin.communities import places
from anmin.communities.models import Community

#: The rollup-style columns: 小区 with no 刑事/治安 警情, and all 小区.
ZERO, ALL = "zero_compounds", "compounds"


def compounds(scope: str):
    """The 小区 within an organization path ('' for the whole bureau). 村 and 社区 are not counted:
    see `places.zero_rate`."""
    qs = Community.objects.filter(kind=Community.Kind.COMPOUND).select_related("station")
    return qs.filter(station__path__startswith=scope) if scope else qs


def sums(period, scope: str, grouper: Callable) -> dict[str, dict[str, int]]:
    """Group key → {zero_compounds, compounds} for the period (grouped by the compound's station)."""
    rows = list(compounds(scope))
    figs = places.figures(rows, period.start, period.end)
    out: dict[str, dict[str, int]] = defaultdict(lambda: {ZERO: 0, ALL: 0})
    for c in rows:
        bucket = out[grouper(c.station_id, None)]
        bucket[ALL] += 1
        bucket[ZERO] += figs[c.pk].zero
    return out


def records(period, scope: str, column: str):
    """The 小区 behind a figure: the zero ones (numerator) or all of them (denominator)."""
    qs = compounds(scope)
    if column == ALL:
        return qs
    rows = list(qs)
    figs = places.figures(rows, period.start, period.end)
    return qs.filter(pk__in=[c.pk for c in rows if figs[c.pk].zero])
