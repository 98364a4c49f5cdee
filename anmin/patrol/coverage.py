"""Coverage of a patrol plan (巡逻覆盖): what the units' position fixes say they did.

Between two consecutive fixes of a shift the unit is taken to have stayed near the first one:
the interval counts as time present at every planned point within `RADIUS_M` of the first fix,
and the fix-to-fix distance counts as distance patrolled. An interval longer than `MAX_GAP_S`
counts neither (the phone was off or out of signal: nobody knows where the unit was), and a jump
faster than the unit could move (`MAX_SPEED_MS`, a bad GPS fix) is left out of the distance. A
point counts as visited with at least `MIN_PRESENT_S` there.
"""

from dataclasses import dataclass, field
from datetime import datetime

from anmin.dispatch.models import UnitKind
from anmin.geo.coords import distance_m

RADIUS_M = 150
MAX_GAP_S = 10 * 60
MIN_PRESENT_S = 60
#: Fastest plausible speed in m/s by kind (a foot team 15 km/h, a car 120 km/h).
MAX_SPEED_MS = {UnitKind.FOOT: 15 / 3.6}
DEFAULT_MAX_SPEED_MS = 120 / 3.6


@dataclass
class Coverage:
    """One plan's coverage: seconds present per point (in the plan's order), metres patrolled,
    intervals not counted because of a gap, jumps dropped."""

    present_s: list[float] = field(default_factory=list)
    distance_m: float = 0.0
    gaps: int = 0
    jumps: int = 0
    fixes: int = 0

    @property
    def visited(self) -> int:
        return sum(1 for s in self.present_s if s >= MIN_PRESENT_S)

    @property
    def share(self) -> float | None:
        return self.visited / len(self.present_s) if self.present_s else None


def measure(points: list[tuple[float, float]], fixes: list[tuple[float, float, datetime]], kind: str = "") -> Coverage:
    """Coverage of `points` by time-ordered `fixes` (lat, lon, at): see the module docstring."""
    result = Coverage(present_s=[0.0] * len(points), fixes=len(fixes))
    max_speed = MAX_SPEED_MS.get(kind, DEFAULT_MAX_SPEED_MS)
    for (lat1, lon1, t1), (lat2, lon2, t2) in zip(fixes, fixes[1:], strict=False):
        dt = (t2 - t1).total_seconds()
        if dt <= 0:
            continue
        if dt > MAX_GAP_S:
            result.gaps += 1
            continue
        step = distance_m(lat1, lon1, lat2, lon2)
        if step / dt > max_speed:
            result.jumps += 1
        else:
            result.distance_m += step
        for i, (plat, plon) in enumerate(points):
            if distance_m(lat1, lon1, plat, plon) <= RADIUS_M:
                result.present_s[i] += dt
    return result
