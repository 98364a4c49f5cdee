"""`anmin bench dispatch`: how long 警力推荐 takes for one incident in a city-sized force.

What is measured and why:

* **rank** — one `rank(...)` call per incident over every available unit of a Hengshui-sized city
  (default 1,000 units, 10,000 incidents). It runs on every new incident and every time the
  dispatcher opens the recommendation panel, so its tail (p99) is what a dispatcher feels; the
  target is p99 ≤ 5 ms. The units and incidents are synthetic but shaped like the city: dense in
  桃城 around the city centre, thinner across the counties, with a realistic mix of unit kinds and
  incident classes, so the category rules (交警优先, 特警, 责任派出所) all run.
* **query** — `available_units()`, the one query that feeds `rank` in production, against the
  *current* database (200 calls), measured only when that database has units; otherwise skipped.

Everything is generated from a seeded `random.Random`, so two runs rank the same incidents.
"""

import random
import time
from dataclasses import dataclass

from django.db import DatabaseError, connection

from anmin.bench import BenchError, Result, machine, summarize_ms, target
from anmin.dispatch.models import Unit, UnitKind
from anmin.dispatch.recommend import UnitSnapshot, available_units, rank
from anmin.incidents.models import IncidentClass

SEED = 2026
QUERY_CALLS = 200
RANK_LIMIT = 10
#: Calls before timing starts: the first calls load translation catalogs and warm caches, which a
#: long-running server has long since done.
WARMUP_CALLS = 50

# The city: a Hengshui-like box, with 桃城 (the urban district) at its centre.
LAT_MIN, LAT_MAX = 37.3, 38.3
LON_MIN, LON_MAX = 115.4, 116.3
CENTRE = (37.735, 115.675)
#: Share of stations, units and incidents drawn around the centre rather than across the whole box.
URBAN_SHARE = 0.6

BUREAU_ID = 1
BRANCH_IDS = range(2, 10)  # 8 分局/县局
SWAT_ORG = (10, "特警支队")
TRAFFIC_ORG = (11, "交警支队")
PATROL_ORG = (12, "巡警支队")
FIRST_STATION_ID = 20
STATIONS = 60

#: Share of each kind in the force; most units are cars and foot teams of stations and patrol.
UNIT_KIND_WEIGHTS = {
    UnitKind.PATROL_CAR: 35,
    UnitKind.STATION_CAR: 28,
    UnitKind.FOOT: 20,
    UnitKind.TRAFFIC: 12,
    UnitKind.SWAT: 5,
}
CALLSIGN_PREFIX = {
    UnitKind.PATROL_CAR: "巡",
    UnitKind.STATION_CAR: "所",
    UnitKind.FOOT: "步",
    UnitKind.TRAFFIC: "交",
    UnitKind.SWAT: "特",
}

#: A typical 110 mix: help and disputes dominate, crime is a minority.
INCIDENT_CLASS_WEIGHTS = {
    IncidentClass.HELP: 30,
    IncidentClass.DISPUTE: 20,
    IncidentClass.TRAFFIC: 18,
    IncidentClass.PUBLIC_ORDER: 12,
    IncidentClass.CRIMINAL: 8,
    IncidentClass.OTHER: 6,
    IncidentClass.REPORT: 4,
    IncidentClass.FIRE: 2,
}
#: Share of criminal incidents that are 八类严重暴力 (about 0.4 % of all incidents).
SERIOUS_SHARE_OF_CRIMINAL = 0.05


@dataclass(frozen=True, slots=True)
class Station:
    path: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class SyntheticIncident:
    lat: float
    lon: float
    klass: str
    serious: bool
    station_path: str


def _clamp(lat: float, lon: float) -> tuple[float, float]:
    return min(LAT_MAX, max(LAT_MIN, lat)), min(LON_MAX, max(LON_MIN, lon))


def _city_point(rng: random.Random, *, urban_sigma: float = 0.04) -> tuple[float, float]:
    """A point in the city: usually near the centre (Gaussian), otherwise anywhere in the box."""
    if rng.random() < URBAN_SHARE:
        return _clamp(rng.gauss(CENTRE[0], urban_sigma), rng.gauss(CENTRE[1], urban_sigma * 1.25))
    return rng.uniform(LAT_MIN, LAT_MAX), rng.uniform(LON_MIN, LON_MAX)


def _near(rng: random.Random, lat: float, lon: float, sigma: float = 0.01) -> tuple[float, float]:
    return _clamp(rng.gauss(lat, sigma), rng.gauss(lon, sigma))


def make_stations(rng: random.Random, count: int = STATIONS) -> list[Station]:
    """派出所 spread over the branches, paths like "/1/3/27/" as in the organization tree."""
    stations = []
    for i in range(count):
        branch = BRANCH_IDS[i % len(BRANCH_IDS)]
        station_id = FIRST_STATION_ID + i
        lat, lon = _city_point(rng, urban_sigma=0.05)
        stations.append(Station(f"/{BUREAU_ID}/{branch}/{station_id}/", f"第{i + 1}派出所", lat, lon))
    return stations


def make_units(rng: random.Random, count: int, stations: list[Station]) -> list[UnitSnapshot]:
    """`count` available units: station cars and foot teams around their station, patrol, traffic
    and SWAT units of the city-level detachments anywhere in the city."""
    kinds = list(UNIT_KIND_WEIGHTS)
    weights = list(UNIT_KIND_WEIGHTS.values())
    units = []
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        station = rng.choice(stations)
        if kind in (UnitKind.STATION_CAR, UnitKind.FOOT) or (kind == UnitKind.PATROL_CAR and rng.random() < 0.5):
            lat, lon = _near(rng, station.lat, station.lon)
            org_path, org_name = station.path, station.name
        else:
            lat, lon = _city_point(rng)
            org_id, org_name = {
                UnitKind.SWAT: SWAT_ORG,
                UnitKind.TRAFFIC: TRAFFIC_ORG,
                UnitKind.PATROL_CAR: PATROL_ORG,
            }[kind]
            # Traffic riders belong to squadrons under the detachment, one level deeper.
            if kind == UnitKind.TRAFFIC:
                org_path = f"/{BUREAU_ID}/{org_id}/{100 + i % 6}/"
            else:
                org_path = f"/{BUREAU_ID}/{org_id}/"
        units.append(
            UnitSnapshot(
                id=i + 1,
                callsign=f"{CALLSIGN_PREFIX[kind]}{i + 1:04d}",
                kind=str(kind),
                lat=lat,
                lon=lon,
                org_path=org_path,
                org_name=org_name,
            )
        )
    return units


def _nearest_station(stations: list[Station], lat: float, lon: float) -> Station:
    # Squared degrees with longitude shrunk by cos(37.7°): good enough to pick a jurisdiction.
    return min(stations, key=lambda s: (s.lat - lat) ** 2 + ((s.lon - lon) * 0.79) ** 2)


def make_incidents(rng: random.Random, count: int, stations: list[Station]) -> list[SyntheticIncident]:
    """`count` incidents with the city's shape and class mix; the station is the nearest one, as
    the grid would assign it, so the 纠纷 rule finds that station's own units."""
    classes = list(INCIDENT_CLASS_WEIGHTS)
    weights = list(INCIDENT_CLASS_WEIGHTS.values())
    incidents = []
    for _ in range(count):
        lat, lon = _city_point(rng)
        klass = rng.choices(classes, weights)[0]
        serious = klass == IncidentClass.CRIMINAL and rng.random() < SERIOUS_SHARE_OF_CRIMINAL
        incidents.append(SyntheticIncident(lat, lon, str(klass), serious, _nearest_station(stations, lat, lon).path))
    return incidents


def time_rank(units: list[UnitSnapshot], incidents: list[SyntheticIncident]) -> Result:
    """Time each `rank` call separately (perf_counter_ns) and the loop as a whole (throughput)."""
    for incident in incidents[:WARMUP_CALLS]:
        rank(
            lat=incident.lat,
            lon=incident.lon,
            klass=incident.klass,
            serious=incident.serious,
            station_path=incident.station_path,
            units=units,
            limit=RANK_LIMIT,
        )
    samples: list[float] = []
    expected = min(RANK_LIMIT, len(units))
    short = 0
    clock = time.perf_counter_ns
    wall_start = clock()
    for incident in incidents:
        start = clock()
        result = rank(
            lat=incident.lat,
            lon=incident.lon,
            klass=incident.klass,
            serious=incident.serious,
            station_path=incident.station_path,
            units=units,
            limit=RANK_LIMIT,
        )
        samples.append((clock() - start) / 1e9)
        # A ranking that returns fewer units than it could would make a fast but meaningless number.
        short += len(result) != expected
    wall_s = (clock() - wall_start) / 1e9
    if short:
        raise BenchError(f"rank() returned fewer than {expected} units for {short} incidents")
    return summarize_ms(samples, wall_s)


def time_query(calls: int = QUERY_CALLS) -> Result:
    """Time `available_units()` against the current database, or say why it was skipped."""
    try:
        total = Unit.objects.count()
    except DatabaseError as exc:  # e.g. not migrated: the rank numbers still stand on their own
        return {"skipped": f"database not usable: {str(exc).splitlines()[0]}"}
    if total < 1:
        return {"skipped": "no units in the current database (run `anmin demo` to build the demo city)"}
    for _ in range(5):  # open the connection and warm the page cache before timing
        available_units()
    samples: list[float] = []
    returned = 0
    for _ in range(calls):
        start = time.perf_counter_ns()
        returned = len(available_units())
        samples.append((time.perf_counter_ns() - start) / 1e9)
    summary = summarize_ms(samples)
    return {
        "count": summary["count"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "units_in_db": total,
        "units_returned": returned,
    }


def run(*, units: int = 1000, incidents: int = 10_000, seed: int = SEED) -> Result:
    """Build the synthetic city, time `rank` for every incident, then the units query."""
    rng = random.Random(seed)
    stations = make_stations(rng)
    unit_list = make_units(rng, units, stations)
    incident_list = make_incidents(rng, incidents, stations)
    rank_result = time_rank(unit_list, incident_list)
    query_result = time_query()
    targets = [target("rank p99 ≤ 5 ms", "rank.p99_ms", "<=", 5, rank_result["p99_ms"])]
    return {
        "bench": "dispatch",
        "machine": machine(connection.vendor),
        "params": {"units": units, "incidents": incidents, "stations": len(stations), "seed": seed},
        "results": {"rank": rank_result, "query": query_result},
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }
