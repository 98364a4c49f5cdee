"""Which units to send (警力推荐): rank available units by estimated travel time, with category rules.

ETA = great-circle distance × road factor ÷ the unit kind's speed. Rules put some units first:
交通警情 → 交警 first; 八类严重暴力 → the nearest 特警 team plus the nearest patrol car;
纠纷 → the responsible station's own units. Every recommendation says why.

The arrival target of the incident's cell (到场时限: 城区 5, 城郊 10, 农村 20 minutes) weighs more
than a rule. A rule says who *should* go when they can be there in time; it must not send a foot
post half an hour away while another unit stands a hundred metres from the caller. So, given a
target, the units that can meet it come first (a rule's units, then the rest, each by ETA), then
those that cannot, by ETA alone (when nobody can make it, the fastest matters most). The serious
violence pair is the exception: 特警 is sent *besides* the nearest car, not instead of it, so the
pair stays on top even when late.

Pre-selection (what the panel ticks) follows one rule: never tick a unit that misses the target
while another recommended unit meets it. Without a target (the benchmark, a caller that has none)
the order and pre-selection are those of the rules alone.
"""

import heapq
import math
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter

from django.conf import settings
from django.utils.translation import gettext as _

from anmin.dispatch.models import UNIT_SPEED_KMH, Unit, UnitKind, UnitStatus
from anmin.geo.coords import EARTH_RADIUS_M
from anmin.incidents.models import Incident, IncidentClass


@dataclass(frozen=True, slots=True)
class UnitSnapshot:
    id: int
    callsign: str
    kind: str
    lat: float
    lon: float
    org_path: str
    org_name: str


@dataclass(slots=True)
class Recommendation:
    unit_id: int
    callsign: str
    kind: str
    organization: str
    distance_m: int
    eta_s: int
    rule: str
    reason: str
    #: Whether the ETA is within the incident's arrival target; None when no target was given.
    meets_target: bool | None = None
    #: Ticked by default in the panel.
    preselected: bool = False


def available_units(user=None) -> list[UnitSnapshot]:
    """One query: the available units the user may command (all of them for the command centre)."""
    qs = Unit.objects.filter(status=UnitStatus.AVAILABLE)
    if user is not None:
        qs = qs.visible_to(user)
    rows = qs.values_list("id", "callsign", "kind", "lat", "lon", "organization__path", "organization__name")
    return [UnitSnapshot(*row) for row in rows]


def eta_minutes(eta_s: float) -> int:
    """Minutes shown for an ETA, rounded up: a unit shown as "5 分钟" does reach a 5-minute target."""
    return max(1, math.ceil(eta_s / 60 - 1e-9))


CARS = (UnitKind.PATROL_CAR, UnitKind.STATION_CAR)

# How a chosen unit stands: the serious-violence pair (always on top), a rule's pick, any unit.
_PAIR, _RULE, _ANY = 0, 1, 2


def rank(
    *,
    lat: float,
    lon: float,
    klass: str,
    serious: bool,
    station_path: str,
    units: list[UnitSnapshot],
    limit: int = 10,
    road_factor: float | None = None,
    target_minutes: int | None = None,
) -> list[Recommendation]:
    """Pure ranking (no database): the hot path benchmarked by `anmin bench dispatch`.

    `target_minutes` is the incident's arrival target; with it, units that can meet it come before
    those that cannot, and the pre-selection never ticks a late unit while a timely one is listed
    (see the module's docstring)."""
    road_factor = settings.ROAD_FACTOR if road_factor is None else road_factor
    # ETA = distance × road factor ÷ speed (m/s), with the haversine of `distance_m` written out
    # and the incident's terms computed once: this loop runs over every available unit of the city.
    speed_ms = {kind: speed / 3.6 for kind, speed in UNIT_SPEED_KMH.items()}
    default_ms = 30.0 / 3.6
    p1 = math.radians(lat)
    cos_p1 = math.cos(p1)
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    scored = []
    for u in units:
        p2 = radians(u.lat)
        a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(radians(u.lon - lon) / 2) ** 2
        meters = 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))
        scored.append((meters * road_factor / speed_ms.get(u.kind, default_ms), meters, u))
    scored.sort(key=itemgetter(0))

    Row = tuple[float, float, UnitSnapshot, str, int]
    pair: list[Row] = []
    taken: set[int] = set()

    def take(predicate, rule: str, standing: int, count: int) -> list[Row]:
        # The first `count` by ETA are all a ranking of `limit` can use: the rest come after them.
        rows: list[Row] = []
        for eta, meters, u in scored:
            if len(rows) >= count:
                break
            if u.id not in taken and predicate(u):
                taken.add(u.id)
                rows.append((eta, meters, u, rule, standing))
        return rows

    # The category's rule: which units it puts first, and why.
    ruled, rule = None, ""
    if serious:
        pair += take(lambda u: u.kind == UnitKind.SWAT, _("八类严重暴力：特警处置"), _PAIR, 1)
        pair += take(lambda u: u.kind in CARS, _("八类严重暴力：最近巡逻警力"), _PAIR, 1)
    elif klass == IncidentClass.TRAFFIC:
        ruled, rule = (lambda u: u.kind == UnitKind.TRAFFIC), _("交通警情：交警优先")
    elif klass == IncidentClass.DISPUTE and station_path:
        ruled, rule = (lambda u: u.org_path.startswith(station_path)), _("纠纷警情：责任派出所")
    by_rule = take(ruled, rule, _RULE, limit) if ruled else []
    anyone = take(lambda u: not (ruled and ruled(u)), _("就近警力"), _ANY, limit)

    target_s = None if target_minutes is None else target_minutes * 60
    if target_s is None:
        chosen = pair + by_rule + anyone
    else:
        # In time first (a rule's units before the rest, each by ETA), then the late ones by ETA
        # alone; the serious-violence pair keeps its place on top. Each list is sorted by ETA, so
        # the timely units of each are a prefix of it.
        rule_ok = [row for row in by_rule if row[0] <= target_s]
        any_ok = [row for row in anyone if row[0] <= target_s]
        late = heapq.merge(by_rule[len(rule_ok) :], anyone[len(any_ok) :], key=lambda row: row[0])
        chosen = pair + rule_ok + any_ok + list(islice(late, limit))
    top = chosen[:limit]
    any_meets = target_s is not None and any(eta <= target_s for eta, *_ in top)
    # A late unit of a rule that a timely unit of no rule now precedes: the timely one says so.
    demoted = None
    if any_meets:
        demoted = next((row[3] for row in by_rule if row[0] > target_s), None)

    result = []
    for eta, meters, u, why, kind in top:
        meets = None if target_s is None else eta <= target_s
        reason = _("%(rule)s；距离 %(km).1f 公里，预计 %(min)s 分钟到达") % {
            "rule": why,
            "km": meters / 1000,
            "min": eta_minutes(eta),
        }
        if meets:
            reason += _("，在 %(target)s 分钟到场时限内") % {"target": target_minutes}
        elif meets is False:
            reason += _("，超出 %(target)s 分钟到场时限") % {"target": target_minutes}
            if kind == _RULE and any_meets:
                reason += _("，排在能按时到达的警力之后")
        if meets and kind == _ANY and demoted is not None:
            reason += _("，先于超出时限的“%(rule)s”警力") % {"rule": demoted}
        result.append(
            Recommendation(
                unit_id=u.id,
                callsign=u.callsign,
                kind=u.kind,
                organization=u.org_name,
                distance_m=round(meters),
                eta_s=round(eta),
                rule=why,
                reason=reason,
                meets_target=meets,
            )
        )
    _preselect(result, pair=sum(1 for *_row, kind in top if kind == _PAIR), any_meets=any_meets)
    return result


def _preselect(recs: list[Recommendation], *, pair: int, any_meets: bool) -> None:
    """Tick the default choice: the best unit that meets the target, or — when none can — the
    fastest. For serious violence the 特警 + nearest car pair, each only if it meets the target or
    nobody does; a late car's place goes to the best timely unit that is not 特警."""
    if not recs:
        return

    def usable(r: Recommendation) -> bool:
        return r.meets_target is not False or not any_meets

    if pair:  # serious violence: the first `pair` recommendations are the 特警 team and the nearest car
        picks = [r for r in recs[:pair] if usable(r)]
        if not any(r.kind != UnitKind.SWAT for r in picks):
            other = next((r for r in recs if r.kind != UnitKind.SWAT and r.meets_target), None)
            if other is not None:
                picks.append(other)
        if not picks:
            picks = [_best(recs)]
    else:
        picks = [_best(recs)]
    for r in picks:
        r.preselected = True


def _best(recs: list[Recommendation]) -> Recommendation:
    """The first listed unit that meets the target; with none (or no target), the fastest — which
    the order puts first too, except behind a late serious-violence pair."""
    timely = next((r for r in recs if r.meets_target), None)
    if timely is not None:
        return timely
    if all(r.meets_target is None for r in recs):
        return recs[0]
    return min(recs, key=lambda r: r.eta_s)


def recommend(incident: Incident, user=None, limit: int = 10) -> list[Recommendation]:
    """The ranking for an incident, against its arrival target (set from its grid cell at intake,
    GridCell.arrival_minutes(), the same target the 超时未到场 clock counts against)."""
    return rank(
        lat=incident.lat,
        lon=incident.lon,
        klass=incident.category.klass,
        serious=incident.category.serious_violence,
        station_path=incident.station.path,
        units=available_units(user),
        limit=limit,
        target_minutes=incident.target_minutes,
    )
