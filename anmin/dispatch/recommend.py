"""Which units to send (警力推荐): rank available units by estimated travel time, with category rules.

ETA = great-circle distance × road factor ÷ the unit kind's speed. Rules put some units first:
交通警情 → 交警 first; 八类严重暴力 → the nearest 特警 team plus the nearest patrol car;
纠纷 → the responsible station's own units. Every recommendation says why.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from anmin.dispatch.models import UNIT_SPEED_KMH, Unit, UnitKind, UnitStatus
from anmin.geo.coords import distance_m
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


def available_units(user=None) -> list[UnitSnapshot]:
    """One query: the available units the user may command (all of them for the command centre)."""
    qs = Unit.objects.filter(status=UnitStatus.AVAILABLE)
    if user is not None:
        qs = qs.visible_to(user)
    rows = qs.values_list("id", "callsign", "kind", "lat", "lon", "organization__path", "organization__name")
    return [UnitSnapshot(*row) for row in rows]


def _eta_s(meters: float, kind: str, road_factor: float) -> float:
    return meters * road_factor / (UNIT_SPEED_KMH.get(kind, 30.0) / 3.6)


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
) -> list[Recommendation]:
    """Pure ranking (no database): the hot path benchmarked by `anmin bench dispatch`."""
    road_factor = settings.ROAD_FACTOR if road_factor is None else road_factor
    scored = []
    for u in units:
        meters = distance_m(lat, lon, u.lat, u.lon)
        scored.append((_eta_s(meters, u.kind, road_factor), meters, u))
    scored.sort(key=lambda row: row[0])

    chosen: list[tuple[float, float, UnitSnapshot, str]] = []
    taken: set[int] = set()

    def take_first(predicate, rule):
        for eta, meters, u in scored:
            if u.id not in taken and predicate(u):
                taken.add(u.id)
                chosen.append((eta, meters, u, rule))
                return

    def take_all(predicate, rule):
        for eta, meters, u in scored:
            if u.id not in taken and predicate(u):
                taken.add(u.id)
                chosen.append((eta, meters, u, rule))

    if serious:
        take_first(lambda u: u.kind == UnitKind.SWAT, _("八类严重暴力：特警处置"))
        take_first(lambda u: u.kind in (UnitKind.PATROL_CAR, UnitKind.STATION_CAR), _("八类严重暴力：最近巡逻警力"))
    elif klass == IncidentClass.TRAFFIC:
        take_all(lambda u: u.kind == UnitKind.TRAFFIC, _("交通警情：交警优先"))
    elif klass == IncidentClass.DISPUTE and station_path:
        take_all(lambda u: u.org_path.startswith(station_path), _("纠纷警情：责任派出所"))
    take_all(lambda u: True, _("就近警力"))

    result = []
    for eta, meters, u, rule in chosen[:limit]:
        reason = _("%(rule)s；距离 %(km).1f 公里，预计 %(min)s 分钟到达") % {
            "rule": rule,
            "km": meters / 1000,
            "min": max(1, round(eta / 60)),
        }
        result.append(
            Recommendation(
                unit_id=u.id,
                callsign=u.callsign,
                kind=u.kind,
                organization=u.org_name,
                distance_m=round(meters),
                eta_s=round(eta),
                rule=rule,
                reason=reason,
            )
        )
    return result


def recommend(incident: Incident, user=None, limit: int = 10) -> list[Recommendation]:
    return rank(
        lat=incident.lat,
        lon=incident.lon,
        klass=incident.category.klass,
        serious=incident.category.serious_violence,
        station_path=incident.station.path,
        units=available_units(user),
        limit=limit,
    )
