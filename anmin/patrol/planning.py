"""Suggested patrol points and lines (巡线) for a shift: the hottest cells within each unit's reach.

Each unit starts from its base (its 驻点, else its station's 驻地, else where it last reported) and
is given the hottest cells of its station whose centres lie within its reach (a foot team walks a
kilometre, a car drives a few); a cell already given to another unit of the station in the same
shift is skipped, so two cars are not sent to the same corner. The line visits the points in a
nearest-neighbour tour from the base and returns to it: not the shortest tour, but one an officer
can follow and a reader can check by eye.
"""

from dataclasses import dataclass

from anmin.dispatch.models import UnitKind
from anmin.geo.coords import distance_m

#: Reach from the base in metres, and points per shift, by kind of unit (as data: change here).
REACH_M = {UnitKind.FOOT: 1200, UnitKind.PATROL_CAR: 4000, UnitKind.STATION_CAR: 3000}
POINTS_PER_SHIFT = {UnitKind.FOOT: 4, UnitKind.PATROL_CAR: 6, UnitKind.STATION_CAR: 5}
#: The kinds of unit that patrol (SWAT waits at its post, traffic riders keep their posts).
PATROL_KINDS = tuple(REACH_M)


@dataclass(frozen=True)
class Candidate:
    cell: str
    name: str
    lat: float
    lon: float
    score: float


def choose_points(
    base: tuple[float, float], candidates: list[Candidate], *, reach_m: float, count: int, taken: set[str]
) -> list[Candidate]:
    """The `count` hottest candidates within `reach_m` of the base and not in `taken` (ties: nearer first)."""
    within = [
        (c, distance_m(base[0], base[1], c.lat, c.lon)) for c in candidates if c.score > 0 and c.cell not in taken
    ]
    within = [(c, d) for c, d in within if d <= reach_m]
    within.sort(key=lambda cd: (-cd[0].score, cd[1], cd[0].cell))
    return [c for c, _ in within[:count]]


def tour(base: tuple[float, float], points: list[Candidate]) -> list[Candidate]:
    """The points in nearest-neighbour order from the base (ties: the cell's key, for repeatability)."""
    left, here, order = list(points), base, []
    while left:
        nxt = min(left, key=lambda c: (distance_m(here[0], here[1], c.lat, c.lon), c.cell))
        order.append(nxt)
        left.remove(nxt)
        here = (nxt.lat, nxt.lon)
    return order


def line(base: tuple[float, float], ordered: list[Candidate]) -> list[list[float]]:
    """The patrol line: base → each point in order → back to the base."""
    if not ordered:
        return []
    return [[base[0], base[1]], *[[c.lat, c.lon] for c in ordered], [base[0], base[1]]]
